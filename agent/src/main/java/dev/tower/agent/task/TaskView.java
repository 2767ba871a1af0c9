package dev.tower.agent.task;

import dev.tower.agent.isolation.TaskUsage;
import dev.tower.api.model.TaskState;

/**
 * A task as {@code /api/v1/state} shows it.
 *
 * @param usage what the task has used so far; null when it is not running or its containerizer does not measure it
 */
public record TaskView(String frameworkId, String taskId, String name, TaskState state, String sandbox, Long pid,
                       TaskUsage usage) {
}
