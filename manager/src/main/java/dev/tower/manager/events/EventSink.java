package dev.tower.manager.events;

import dev.tower.api.events.EventSinkView;
import dev.tower.manager.core.ClusterEvent;

import java.util.Optional;

/**
 * Receives every cluster state change, in order, on the core's effect thread. Implementations must not block:
 * hand the event to a queue or an outbox and return.
 */
public interface EventSink extends AutoCloseable {
    void publish(ClusterEvent event);

    /** What {@code /health} shows of this sink (where it delivers, how far behind); empty for the master's own. */
    default Optional<EventSinkView> view() {
        return Optional.empty();
    }

    @Override
    default void close() {
    }
}
