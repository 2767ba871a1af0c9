package dev.tower.api.model;

/**
 * A task status update.
 *
 * @param uuid present when the update must be acknowledged by the framework; absent for answers to reconciliation
 * @param source AGENT for updates from the task's agent, MASTER for ones the master generates (agent lost, ...)
 * @param exitCode the process's exit code for terminal states of tasks that ran
 * @param timestamp seconds since the epoch
 */
public record TaskStatus(
        String taskId,
        String frameworkId,
        String agentId,
        TaskState state,
        String reason,
        String message,
        Integer exitCode,
        String uuid,
        Source source,
        double timestamp) {

    public enum Source { AGENT, MASTER }

    public TaskStatus withUuid(String newUuid) {
        return new TaskStatus(taskId, frameworkId, agentId, state, reason, message, exitCode, newUuid, source, timestamp);
    }

    public boolean needsAck() {
        return uuid != null;
    }
}
