package dev.tower.api.operator;

import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.ContainerInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;

import java.util.List;

/** A task and its status history, oldest first. */
public record TaskView(
        String taskId,
        String frameworkId,
        String agentId,
        String name,
        TaskState state,
        Resources resources,
        CommandInfo command,
        List<TaskStatus> statuses,
        ContainerInfo container) {
}
