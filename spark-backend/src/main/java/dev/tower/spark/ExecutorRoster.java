package dev.tower.spark;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The executors of one application that have not ended yet, from launch to their task's terminal update. Not
 * thread-safe: the backend guards it with its own lock.
 */
public final class ExecutorRoster {
    private final String appId;
    private final Map<String, TowerExecutor> byExecutorId = new LinkedHashMap<>();
    private final Map<String, String> executorIdByTaskId = new HashMap<>();
    private int lastExecutorId;

    public ExecutorRoster(String appId) {
        this.appId = appId;
    }

    /** Registers a new executor on an agent and gives it the next id. */
    public TowerExecutor add(String agentId, String hostname, int cores) {
        String executorId = Integer.toString(++lastExecutorId);
        TowerExecutor e = new TowerExecutor(executorId, taskId(executorId), agentId, hostname, cores, false);
        byExecutorId.put(executorId, e);
        executorIdByTaskId.put(e.taskId(), executorId);
        return e;
    }

    public String appId() {
        return appId;
    }

    /** Tower task ids name the application, so an operator listing tasks sees whose executor each is. */
    public String taskId(String executorId) {
        return appId + "-executor-" + executorId;
    }

    public Optional<TowerExecutor> byExecutorId(String executorId) {
        return Optional.ofNullable(byExecutorId.get(executorId));
    }

    public Optional<TowerExecutor> byTaskId(String taskId) {
        String id = executorIdByTaskId.get(taskId);
        return id == null ? Optional.empty() : Optional.of(byExecutorId.get(id));
    }

    /** Marks an executor as being killed on request; returns it, or empty when it is unknown or already ended. */
    public Optional<TowerExecutor> markKilling(String executorId) {
        TowerExecutor e = byExecutorId.get(executorId);
        if (e == null) {
            return Optional.empty();
        }
        TowerExecutor k = e.killing();
        byExecutorId.put(executorId, k);
        return Optional.of(k);
    }

    /** Forgets the executor of a task that ended; empty when the task is not (or no longer) one of ours. */
    public Optional<TowerExecutor> ended(String taskId) {
        String id = executorIdByTaskId.remove(taskId);
        return id == null ? Optional.empty() : Optional.ofNullable(byExecutorId.remove(id));
    }

    public Collection<TowerExecutor> all() {
        return byExecutorId.values();
    }

    public boolean isEmpty() {
        return byExecutorId.isEmpty();
    }

    public ExecutorCounts counts() {
        int active = 0;
        int cores = 0;
        Map<String, Integer> perAgent = new HashMap<>();
        for (TowerExecutor e : byExecutorId.values()) {
            if (!e.killRequested()) {
                active++;
            }
            cores += e.cores();
            perAgent.merge(e.agentId(), 1, Integer::sum);
        }
        return new ExecutorCounts(active, cores, perAgent);
    }
}
