package dev.tower.manager.core;

import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.FrameworkInfo;

import java.util.Map;

/**
 * What a registry holds, as a newly elected master loads it: the agents and frameworks the previous leaders knew,
 * the role weights set by operators, and the drivers submitted in cluster deploy mode. Tasks are not here: agents
 * report them when they re-subscribe.
 */
public record RegistrySnapshot(Map<String, AgentInfo> agents, Map<String, SavedFramework> frameworks,
                               Map<String, Double> weights, Map<String, SavedDriver> drivers) {
    public static final RegistrySnapshot EMPTY = new RegistrySnapshot(Map.of(), Map.of(), Map.of(), Map.of());

    public RegistrySnapshot {
        agents = agents == null ? Map.of() : Map.copyOf(agents);
        frameworks = frameworks == null ? Map.of() : Map.copyOf(frameworks);
        weights = weights == null ? Map.of() : Map.copyOf(weights);
        drivers = drivers == null ? Map.of() : Map.copyOf(drivers);
    }

    /** Without submitted drivers. */
    public RegistrySnapshot(Map<String, AgentInfo> agents, Map<String, SavedFramework> frameworks,
                            Map<String, Double> weights) {
        this(agents, frameworks, weights, Map.of());
    }

    /**
     * A framework as the registry keeps it.
     *
     * @param failoverDeadline when a framework that was disconnected is removed unless it re-subscribes (epoch
     *                         millis); 0 if it was connected
     */
    public record SavedFramework(FrameworkInfo framework, long failoverDeadline) {
    }

    /**
     * A driver submitted in cluster deploy mode, with its state: submission ids outlive the leader that took them.
     *
     * @param taskLive whether {@code taskId} was running (or being started) when this was written
     */
    public record SavedDriver(String id, DriverSpec spec, DriverState state, int launches, String taskId,
                              boolean taskLive, String agentId, String hostname, boolean killRequested,
                              String message, long submittedAt, long relaunchAt, long endedAt,
                              java.util.List<String> taskIds) {
        public SavedDriver {
            taskIds = taskIds == null ? java.util.List.of() : java.util.List.copyOf(taskIds);
        }
    }
}
