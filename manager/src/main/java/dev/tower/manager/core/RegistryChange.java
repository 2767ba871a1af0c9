package dev.tower.manager.core;

import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.FrameworkInfo;

import java.util.Map;

/** A write to the durable registry: the state that cannot be rebuilt from agents' reports. */
public sealed interface RegistryChange {
    record AgentSaved(AgentInfo agent) implements RegistryChange {
    }

    record AgentRemoved(String agentId) implements RegistryChange {
    }

    record FrameworkSaved(FrameworkInfo framework) implements RegistryChange {
    }

    record FrameworkRemoved(String frameworkId) implements RegistryChange {
    }

    record WeightsSaved(Map<String, Double> weights) implements RegistryChange {
    }
}
