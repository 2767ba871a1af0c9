package dev.tower.agent.status;

import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.TaskInfo;

/**
 * What the agent must remember about a task across a restart, besides its status updates.
 *
 * @param task null for a task the agent never ran but had to answer for (a kill of an unknown task)
 * @param pid the main process once launched, with its start time (ISO-8601) to tell it from a reused pid
 */
public record TaskCheckpoint(String frameworkId, FrameworkInfo framework, TaskInfo task, String sandbox,
                             Long pid, String startedAt) {

    public TaskCheckpoint withProcess(long newPid, String newStartedAt) {
        return new TaskCheckpoint(frameworkId, framework, task, sandbox, newPid, newStartedAt);
    }
}
