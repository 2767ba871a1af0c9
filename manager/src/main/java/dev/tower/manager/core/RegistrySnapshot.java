package dev.tower.manager.core;

import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.FrameworkInfo;

import java.util.Map;

/**
 * What a registry holds, as a newly elected master loads it: the agents and frameworks the previous leaders knew,
 * and the role weights set by operators. Tasks are not here: agents report them when they re-subscribe.
 */
public record RegistrySnapshot(Map<String, AgentInfo> agents, Map<String, SavedFramework> frameworks,
                               Map<String, Double> weights) {
    public static final RegistrySnapshot EMPTY = new RegistrySnapshot(Map.of(), Map.of(), Map.of());

    public RegistrySnapshot {
        agents = agents == null ? Map.of() : Map.copyOf(agents);
        frameworks = frameworks == null ? Map.of() : Map.copyOf(frameworks);
        weights = weights == null ? Map.of() : Map.copyOf(weights);
    }

    /**
     * A framework as the registry keeps it.
     *
     * @param failoverDeadline when a framework that was disconnected is removed unless it re-subscribes (epoch
     *                         millis); 0 if it was connected
     */
    public record SavedFramework(FrameworkInfo framework, long failoverDeadline) {
    }
}
