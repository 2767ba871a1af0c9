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

    /**
     * @param failoverDeadline while the framework is disconnected, when it is removed unless it re-subscribes
     *                         (epoch millis); 0 while it is connected
     */
    record FrameworkSaved(FrameworkInfo framework, long failoverDeadline) implements RegistryChange {
        public FrameworkSaved(FrameworkInfo framework) {
            this(framework, 0);
        }
    }

    record FrameworkRemoved(String frameworkId) implements RegistryChange {
    }

    record WeightsSaved(Map<String, Double> weights) implements RegistryChange {
    }

    /** A cluster-mode driver was submitted or changed state. */
    record DriverSaved(RegistrySnapshot.SavedDriver driver) implements RegistryChange {
    }

    /** An ended driver the master no longer remembers. */
    record DriverRemoved(String driverId) implements RegistryChange {
    }
}
