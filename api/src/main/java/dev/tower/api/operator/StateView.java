package dev.tower.api.operator;

import dev.tower.api.model.Resources;

import java.util.List;

/** Everything {@code GET /api/v1/state} returns. */
public record StateView(
        String masterId,
        String version,
        double startedAt,
        Resources total,
        Resources allocated,
        List<AgentView> agents,
        List<FrameworkView> frameworks,
        List<TaskView> tasks,
        List<TaskView> completedTasks,
        List<RoleView> roles) {
}
