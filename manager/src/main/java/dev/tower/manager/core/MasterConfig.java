package dev.tower.manager.core;

import java.time.Duration;
import java.util.Map;

/**
 * The core's timing and limits.
 *
 * @param heartbeatInterval how often the master sends HEARTBEAT on every stream, and agents are asked to send theirs
 * @param agentPingTimeout an agent silent this long is unreachable even if its stream looks open
 * @param agentUnreachableTimeout an unreachable agent is removed and its tasks LOST after this
 * @param offerTimeout an offer neither accepted nor declined is rescinded after this
 * @param statusRetryInitial first wait before re-sending an unacknowledged status update (doubles up to the max)
 * @param completedTasksKept how many finished tasks the master remembers for the API and reconciliation
 */
public record MasterConfig(
        Duration allocationInterval,
        Duration heartbeatInterval,
        Duration agentPingTimeout,
        Duration agentUnreachableTimeout,
        Duration offerTimeout,
        Duration statusRetryInitial,
        Duration statusRetryMax,
        int completedTasksKept,
        Map<String, Double> weights) {

    public MasterConfig {
        weights = weights == null ? Map.of() : Map.copyOf(weights);
    }

    public static MasterConfig defaults() {
        return new MasterConfig(Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofSeconds(20),
                Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(5), Duration.ofSeconds(60),
                10_000, Map.of());
    }

    public MasterConfig withWeights(Map<String, Double> w) {
        return new MasterConfig(allocationInterval, heartbeatInterval, agentPingTimeout, agentUnreachableTimeout,
                offerTimeout, statusRetryInitial, statusRetryMax, completedTasksKept, w);
    }

    public MasterConfig withAgentUnreachableTimeout(Duration d) {
        return new MasterConfig(allocationInterval, heartbeatInterval, agentPingTimeout, d,
                offerTimeout, statusRetryInitial, statusRetryMax, completedTasksKept, weights);
    }

    public MasterConfig withOfferTimeout(Duration d) {
        return new MasterConfig(allocationInterval, heartbeatInterval, agentPingTimeout, agentUnreachableTimeout,
                d, statusRetryInitial, statusRetryMax, completedTasksKept, weights);
    }

    public MasterConfig withHeartbeat(Duration interval, Duration pingTimeout) {
        return new MasterConfig(allocationInterval, interval, pingTimeout, agentUnreachableTimeout,
                offerTimeout, statusRetryInitial, statusRetryMax, completedTasksKept, weights);
    }

    public MasterConfig withStatusRetry(Duration initial, Duration max) {
        return new MasterConfig(allocationInterval, heartbeatInterval, agentPingTimeout, agentUnreachableTimeout,
                offerTimeout, initial, max, completedTasksKept, weights);
    }
}
