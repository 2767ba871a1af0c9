package dev.tower.manager.core;

import dev.tower.api.agent.AgentEvent;
import dev.tower.api.scheduler.SchedulerEvent;

/** What the core asks the outside world to do after handling a command. The core itself does no I/O. */
public sealed interface Effect {

    /** Send on the framework's stream {@code connectionId}; dropped by the transport if that stream is gone. */
    record ToFramework(String connectionId, String frameworkId, SchedulerEvent event) implements Effect {
    }

    /** Send on the agent's stream {@code connectionId}; dropped by the transport if that stream is gone. */
    record ToAgent(String connectionId, String agentId, AgentEvent event) implements Effect {
    }

    /** End a stream the core no longer uses (replaced by a newer subscription, or its framework removed). */
    record CloseStream(String connectionId) implements Effect {
    }

    /** A state change for the event stream, logs and (later) Kafka. */
    record Publish(ClusterEvent event) implements Effect {
    }

    /** The drivers submitted in cluster mode changed: the dispatcher has something to launch or kill. */
    record DriversChanged() implements Effect {
    }

    /** Durable state to write to the registry. */
    record Persist(RegistryChange change) implements Effect {
    }
}
