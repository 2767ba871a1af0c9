package dev.tower.spark;

import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;

/**
 * What a terminal task update means for its executor, worded for Spark's logs and UI, which show the message as
 * the executor's loss reason.
 *
 * @param message      e.g. {@code Tower task app-executor-3 FAILED on agent a-1 (host7): exited with status 137}
 * @param causedByApp  whether Spark should count the loss against the application's tasks: true when the executor
 *                     process itself ended, false when Tower or the agent took it away or the application killed it
 * @param agentFailure whether it counts toward excluding the agent
 */
public record ExecutorEnd(String message, boolean causedByApp, boolean agentFailure) {

    public static ExecutorEnd of(TaskStatus status, TowerExecutor executor) {
        TaskState state = status.state();
        StringBuilder m = new StringBuilder("Tower task ").append(status.taskId()).append(' ').append(state)
                .append(" on agent ").append(executor.agentId()).append(" (").append(executor.hostname()).append(')');
        if (status.reason() != null && !status.reason().isBlank()) {
            m.append(": ").append(status.reason());
        }
        if (status.message() != null && !status.message().isBlank() && !status.message().equals(status.reason())) {
            m.append(": ").append(status.message());
        }
        if (status.exitCode() != null && !m.toString().contains("status " + status.exitCode())) {
            m.append(" (exit status ").append(status.exitCode()).append(')');
        }
        if (executor.killRequested()) {
            m.append(" after the application asked to kill it");
        }
        boolean processEnded = state == TaskState.FINISHED || state == TaskState.FAILED;
        boolean failed = switch (state) {
            case FAILED, ERROR, LOST, DROPPED, GONE -> true;
            default -> false;
        };
        return new ExecutorEnd(m.toString(), processEnded && !executor.killRequested(),
                failed && !executor.killRequested());
    }
}
