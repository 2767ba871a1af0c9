package dev.tower.agent.task;

import dev.tower.api.model.TaskState;

/** A task as {@code /api/v1/state} shows it. */
public record TaskView(String frameworkId, String taskId, String name, TaskState state, String sandbox, Long pid) {
}
