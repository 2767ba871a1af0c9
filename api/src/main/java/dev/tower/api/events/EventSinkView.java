package dev.tower.api.events;

import java.util.List;

/**
 * Where a master sends its cluster events besides its own events stream, and how far behind it is; one per sink in
 * the master's {@code /health} ({@code eventSinks}). {@code tower events tail} reads it to find the Kafka cluster the
 * master publishes to.
 *
 * @param kind {@code kafka}
 * @param target where the sink delivers: for Kafka, its bootstrap servers ({@code host:port[,...]})
 * @param topics the topics, cluster events first, then audit records
 * @param pending events not yet acknowledged by the target (on disk or in memory)
 * @param unwritten of those, events still in memory, not yet in the outbox files (a crash would lose them)
 * @param delivered events the target acknowledged since this master started
 * @param dropped events given up on purpose (outbox full, undeliverable); each was logged
 * @param oldestPendingAgeMillis how long the oldest pending event has waited: the sink's lag behind the master
 * @param storedBytes bytes the outbox holds, against {@code maxBytes}
 * @param maxBytes the outbox's bound; when full, new events are dropped (and counted) rather than block the master
 */
public record EventSinkView(String kind, String target, List<String> topics, long pending, long unwritten,
                            long delivered, long dropped, long oldestPendingAgeMillis, long storedBytes,
                            long maxBytes) {
    public static final String KAFKA = "kafka";

    public EventSinkView {
        topics = topics == null ? List.of() : List.copyOf(topics);
    }
}
