package dev.tower.manager.events;

import dev.tower.manager.core.ClusterEvent;

/**
 * Receives every cluster state change, in order, on the core's effect thread. Implementations must not block:
 * hand the event to a queue or an outbox and return.
 */
public interface EventSink extends AutoCloseable {
    void publish(ClusterEvent event);

    @Override
    default void close() {
    }
}
