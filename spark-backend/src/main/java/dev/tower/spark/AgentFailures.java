package dev.tower.spark;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Executor failures per agent. After {@code maxFailures} on one agent no more executors of this application go
 * there: a machine with a bad disk or a missing library would otherwise eat every executor launched on it, and each
 * failure costs the application a JVM start and its tasks a retry. Not thread-safe: the backend guards it.
 */
public final class AgentFailures {
    private final int maxFailures;
    private final Map<String, Integer> failures = new HashMap<>();

    public AgentFailures(int maxFailures) {
        this.maxFailures = maxFailures;
    }

    /** Counts a failure; true exactly when this failure is the one that excludes the agent. */
    public boolean record(String agentId) {
        return failures.merge(agentId, 1, Integer::sum) == maxFailures;
    }

    public int failures(String agentId) {
        return failures.getOrDefault(agentId, 0);
    }

    public boolean isExcluded(String agentId) {
        return failures(agentId) >= maxFailures;
    }

    public Set<String> excluded() {
        Set<String> out = new HashSet<>();
        failures.forEach((agent, n) -> {
            if (n >= maxFailures) {
                out.add(agent);
            }
        });
        return out;
    }
}
