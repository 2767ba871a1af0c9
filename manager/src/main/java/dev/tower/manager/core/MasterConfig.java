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
 * @param agentReregisterTimeout after a master failover, how long the new leader waits for the agents of the
 *                               registry to re-subscribe before it marks the missing ones unreachable
 * @param drivers how supervised cluster-mode drivers are relaunched
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
        Map<String, Double> weights,
        Duration agentReregisterTimeout,
        DriverPolicy drivers) {

    public static final Duration DEFAULT_AGENT_REREGISTER_TIMEOUT = Duration.ofSeconds(10);

    public MasterConfig {
        weights = weights == null ? Map.of() : Map.copyOf(weights);
        agentReregisterTimeout = agentReregisterTimeout == null ? DEFAULT_AGENT_REREGISTER_TIMEOUT
                : agentReregisterTimeout;
        drivers = drivers == null ? DriverPolicy.DEFAULT : drivers;
    }

    /** With the default driver policy. */
    public MasterConfig(Duration allocationInterval, Duration heartbeatInterval, Duration agentPingTimeout,
                        Duration agentUnreachableTimeout, Duration offerTimeout, Duration statusRetryInitial,
                        Duration statusRetryMax, int completedTasksKept, Map<String, Double> weights,
                        Duration agentReregisterTimeout) {
        this(allocationInterval, heartbeatInterval, agentPingTimeout, agentUnreachableTimeout, offerTimeout,
                statusRetryInitial, statusRetryMax, completedTasksKept, weights, agentReregisterTimeout, null);
    }

    /** Without {@code agentReregisterTimeout}: the default. */
    public MasterConfig(Duration allocationInterval, Duration heartbeatInterval, Duration agentPingTimeout,
                        Duration agentUnreachableTimeout, Duration offerTimeout, Duration statusRetryInitial,
                        Duration statusRetryMax, int completedTasksKept, Map<String, Double> weights) {
        this(allocationInterval, heartbeatInterval, agentPingTimeout, agentUnreachableTimeout, offerTimeout,
                statusRetryInitial, statusRetryMax, completedTasksKept, weights, DEFAULT_AGENT_REREGISTER_TIMEOUT);
    }

    public static MasterConfig defaults() {
        return new MasterConfig(Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofSeconds(20),
                Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(5), Duration.ofSeconds(60),
                10_000, Map.of(), DEFAULT_AGENT_REREGISTER_TIMEOUT);
    }

    public MasterConfig withAgentReregisterTimeout(Duration d) {
        return new MasterConfig(allocationInterval, heartbeatInterval, agentPingTimeout, agentUnreachableTimeout,
                offerTimeout, statusRetryInitial, statusRetryMax, completedTasksKept, weights, d, drivers);
    }

    public MasterConfig withWeights(Map<String, Double> w) {
        return new MasterConfig(allocationInterval, heartbeatInterval, agentPingTimeout, agentUnreachableTimeout,
                offerTimeout, statusRetryInitial, statusRetryMax, completedTasksKept, w, agentReregisterTimeout, drivers);
    }

    public MasterConfig withAgentUnreachableTimeout(Duration d) {
        return new MasterConfig(allocationInterval, heartbeatInterval, agentPingTimeout, d,
                offerTimeout, statusRetryInitial, statusRetryMax, completedTasksKept, weights, agentReregisterTimeout, drivers);
    }

    public MasterConfig withOfferTimeout(Duration d) {
        return new MasterConfig(allocationInterval, heartbeatInterval, agentPingTimeout, agentUnreachableTimeout,
                d, statusRetryInitial, statusRetryMax, completedTasksKept, weights, agentReregisterTimeout, drivers);
    }

    public MasterConfig withHeartbeat(Duration interval, Duration pingTimeout) {
        return new MasterConfig(allocationInterval, interval, pingTimeout, agentUnreachableTimeout,
                offerTimeout, statusRetryInitial, statusRetryMax, completedTasksKept, weights, agentReregisterTimeout, drivers);
    }

    public MasterConfig withStatusRetry(Duration initial, Duration max) {
        return new MasterConfig(allocationInterval, heartbeatInterval, agentPingTimeout, agentUnreachableTimeout,
                offerTimeout, initial, max, completedTasksKept, weights, agentReregisterTimeout, drivers);
    }

    public MasterConfig withDrivers(DriverPolicy p) {
        return new MasterConfig(allocationInterval, heartbeatInterval, agentPingTimeout, agentUnreachableTimeout,
                offerTimeout, statusRetryInitial, statusRetryMax, completedTasksKept, weights, agentReregisterTimeout, p);
    }
}
