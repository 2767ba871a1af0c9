package dev.tower.agent.http;

import dev.tower.agent.task.TaskView;
import dev.tower.api.model.Resources;

import java.util.List;
import java.util.Map;

/** {@code GET /api/v1/state}. */
public record AgentStateView(String agentId, String hostname, int port, boolean subscribed, Resources resources,
                             Map<String, String> attributes, List<TaskView> tasks) {
}
