package dev.tower.manager.registry;

import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.manager.core.RegistryChange;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The registry of a single master (and of tests): lives as long as the process. */
public final class InMemoryRegistry implements Registry {
    private final Map<String, AgentInfo> agents = new ConcurrentHashMap<>();
    private final Map<String, FrameworkInfo> frameworks = new ConcurrentHashMap<>();
    private final Map<String, Double> weights = new ConcurrentHashMap<>();

    @Override
    public void apply(RegistryChange change) {
        if (change instanceof RegistryChange.AgentSaved c) {
            agents.put(c.agent().id(), c.agent());
        } else if (change instanceof RegistryChange.AgentRemoved c) {
            agents.remove(c.agentId());
        } else if (change instanceof RegistryChange.FrameworkSaved c) {
            frameworks.put(c.framework().id(), c.framework());
        } else if (change instanceof RegistryChange.FrameworkRemoved c) {
            frameworks.remove(c.frameworkId());
        } else if (change instanceof RegistryChange.WeightsSaved c) {
            weights.clear();
            weights.putAll(c.weights());
        }
    }

    @Override
    public Map<String, AgentInfo> agents() {
        return Map.copyOf(agents);
    }

    @Override
    public Map<String, FrameworkInfo> frameworks() {
        return Map.copyOf(frameworks);
    }

    @Override
    public Map<String, Double> weights() {
        return Map.copyOf(weights);
    }
}
