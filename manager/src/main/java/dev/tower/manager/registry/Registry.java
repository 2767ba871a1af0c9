package dev.tower.manager.registry;

import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.manager.core.RegistryChange;

import java.util.Map;

/**
 * Durable state that cannot be rebuilt from agents' reports: agents, frameworks, role weights. Written from the
 * core's Persist effects, read by a newly elected master. In memory for a single master; ZooKeeper-backed with HA.
 */
public interface Registry {
    void apply(RegistryChange change);

    Map<String, AgentInfo> agents();

    Map<String, FrameworkInfo> frameworks();

    Map<String, Double> weights();
}
