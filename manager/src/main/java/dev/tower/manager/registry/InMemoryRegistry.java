package dev.tower.manager.registry;

import dev.tower.api.model.AgentInfo;
import dev.tower.manager.core.RegistryChange;
import dev.tower.manager.core.RegistrySnapshot;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The registry of a single master (and of tests): lives as long as the process. */
public final class InMemoryRegistry implements Registry {
    private final Map<String, AgentInfo> agents = new ConcurrentHashMap<>();
    private final Map<String, RegistrySnapshot.SavedFramework> frameworks = new ConcurrentHashMap<>();
    private final Map<String, Double> weights = new ConcurrentHashMap<>();
    private final Map<String, RegistrySnapshot.SavedDriver> drivers = new ConcurrentHashMap<>();

    @Override
    public synchronized void apply(RegistryChange change) {
        if (change instanceof RegistryChange.AgentSaved c) {
            agents.put(c.agent().id(), c.agent());
        } else if (change instanceof RegistryChange.AgentRemoved c) {
            agents.remove(c.agentId());
        } else if (change instanceof RegistryChange.FrameworkSaved c) {
            frameworks.put(c.framework().id(),
                    new RegistrySnapshot.SavedFramework(c.framework(), c.failoverDeadline()));
        } else if (change instanceof RegistryChange.FrameworkRemoved c) {
            frameworks.remove(c.frameworkId());
        } else if (change instanceof RegistryChange.WeightsSaved c) {
            weights.clear();
            weights.putAll(c.weights());
        } else if (change instanceof RegistryChange.DriverSaved c) {
            drivers.put(c.driver().id(), c.driver());
        } else if (change instanceof RegistryChange.DriverRemoved c) {
            drivers.remove(c.driverId());
        }
    }

    @Override
    public synchronized RegistrySnapshot load() {
        return new RegistrySnapshot(agents, frameworks, weights, drivers);
    }
}
