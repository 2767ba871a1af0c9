package dev.tower.spark;

import java.util.Map;

/**
 * The application's executors as the planner sees them.
 *
 * @param active     executors launched and not yet ended, minus those being killed: what counts toward the target
 * @param coresInUse cores of every executor not yet ended, killed ones included (they still hold them)
 * @param perAgent   executors not yet ended on each agent id, killed ones included
 */
public record ExecutorCounts(int active, int coresInUse, Map<String, Integer> perAgent) {
    public static final ExecutorCounts NONE = new ExecutorCounts(0, 0, Map.of());

    public ExecutorCounts {
        perAgent = Map.copyOf(perAgent);
    }

    public int on(String agentId) {
        return perAgent.getOrDefault(agentId, 0);
    }
}
