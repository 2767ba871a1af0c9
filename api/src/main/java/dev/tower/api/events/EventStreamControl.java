package dev.tower.api.events;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import java.util.List;

/**
 * The messages of the events stream ({@code GET /api/v1/events}) that are not cluster events, named in upper case as
 * on the other streams: SUBSCRIBED first, HEARTBEAT every heartbeat interval, and ERROR just before the master ends
 * the stream (this master stopped leading, or the consumer fell too far behind). Cluster events are named by their
 * dotted lower-case type, so the two never clash.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = EventStreamControl.Subscribed.class, name = EventStreamControl.SUBSCRIBED),
        @JsonSubTypes.Type(value = EventStreamControl.Heartbeat.class, name = EventStreamControl.HEARTBEAT),
        @JsonSubTypes.Type(value = EventStreamControl.Error.class, name = EventStreamControl.ERROR),
})
public sealed interface EventStreamControl {
    String SUBSCRIBED = "SUBSCRIBED";
    String HEARTBEAT = "HEARTBEAT";
    String ERROR = "ERROR";

    /** Whether an SSE event of this name is one of these rather than a cluster event. */
    static boolean isControl(String sseEventName) {
        return SUBSCRIBED.equals(sseEventName) || HEARTBEAT.equals(sseEventName) || ERROR.equals(sseEventName);
    }

    /**
     * @param address the master serving the stream, {@code host:port}
     * @param epoch its epoch as leader (0 without ZooKeeper)
     * @param types the type prefixes the stream is filtered by (empty: every type)
     * @param subject the subject it is filtered by, or null
     */
    record Subscribed(String masterId, String address, long epoch, double heartbeatIntervalSeconds,
                      List<String> types, String subject) implements EventStreamControl {
    }

    record Heartbeat() implements EventStreamControl {
    }

    /** The master ends the stream after this; {@code message} says why and what to do. */
    record Error(String message) implements EventStreamControl {
    }
}
