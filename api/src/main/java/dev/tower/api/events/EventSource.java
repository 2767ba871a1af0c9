package dev.tower.api.events;

/**
 * Where a consumer reads cluster events from: the leading master's live stream ({@code MasterEventSource}), or a
 * durable log such as Kafka. Sources deliver events in the order the master published them (per subject at least)
 * and at least once; consumers that must not count one twice dedupe by {@link ClusterEventView#id()}.
 */
public interface EventSource extends AutoCloseable {

    /**
     * Delivers the events that match {@code filter} to {@code listener}, in order, on the calling thread, until
     * {@link #close()} is called (then it returns normally). A source that loses its connection reconnects by itself
     * and says so through {@link Listener#notice}.
     *
     * @throws InterruptedException the calling thread was interrupted
     * @throws IllegalArgumentException the source refused the filter (the message says why)
     * @throws IllegalStateException the source cannot serve events at all (the message says why)
     */
    void follow(EventFilter filter, Listener listener) throws InterruptedException;

    /** Stops {@link #follow}, from any thread. */
    @Override
    void close();

    /** Receives what a source reads. Called on the thread running {@link #follow}. */
    interface Listener {
        void event(ClusterEventView event);

        /** Something about the source itself, one line for a person: connected, lost, reconnecting. */
        default void notice(String message) {
        }
    }
}
