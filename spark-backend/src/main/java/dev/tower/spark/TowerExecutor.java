package dev.tower.spark;

/**
 * One Spark executor: one Tower task running {@code CoarseGrainedExecutorBackend}.
 *
 * @param executorId Spark's id for it (an increasing integer)
 * @param taskId     Tower's id for its task
 * @param killRequested the application asked Tower to kill it, so its end is expected and not the agent's fault
 */
public record TowerExecutor(String executorId, String taskId, String agentId, String hostname, int cores,
                            boolean killRequested) {
    TowerExecutor killing() {
        return new TowerExecutor(executorId, taskId, agentId, hostname, cores, true);
    }
}
