package dev.tower.manager.http;

import dev.tower.api.events.EventFilter;
import dev.tower.api.events.EventStreamControl;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import org.glassfish.grizzly.http.server.Request;

import java.util.List;
import java.util.function.LongSupplier;

/**
 * {@code GET /api/v1/events[?type=PREFIX[,PREFIX]][&subject=ID]}: every cluster event, audit records included, as it
 * is published — the same events Kafka gets — as Server-Sent Events: SSE {@code id} the event's id, SSE
 * {@code event} its type, data its JSON. First a {@code SUBSCRIBED}, then {@code HEARTBEAT}s like every stream.
 * Only the leader serves it (standbys answer 307 before it is reached).
 */
@Path("/api/v1/events")
public final class EventsResource {
    private final EventStreams streams;
    private final String masterId;
    private final java.util.function.Supplier<String> address;
    private final LongSupplier epoch;
    private final double heartbeatSeconds;
    private final dev.tower.manager.events.RecentEvents recent;
    /** The most events one {@code GET /api/v1/events/recent} returns. */
    public static final int MAX_RECENT = 1000;

    /** @param epoch this master's epoch while it leads, else -1 */
    public EventsResource(EventStreams streams, String masterId, java.util.function.Supplier<String> address,
                          LongSupplier epoch, double heartbeatSeconds, dev.tower.manager.events.RecentEvents recent) {
        this.recent = recent;
        this.streams = streams;
        this.masterId = masterId;
        this.address = address;
        this.epoch = epoch;
        this.heartbeatSeconds = heartbeatSeconds;
    }

    /**
     * {@code GET /api/v1/events/recent[?type=PREFIX][&subject=ID][&limit=N]}: the newest events this master
     * published (at most {@value #MAX_RECENT}, oldest first), what a client shows before the stream's first event.
     */
    @GET
    @Path("recent")
    @Produces(MediaType.APPLICATION_JSON)
    public String recent(@QueryParam("type") List<String> types, @QueryParam("subject") String subject,
                         @QueryParam("limit") @jakarta.ws.rs.DefaultValue("200") int limit) {
        EventFilter filter;
        try {
            filter = EventFilter.of(types, subject);
        } catch (IllegalArgumentException e) {
            throw Replies.failure(400, e.getMessage());
        }
        if (limit < 0 || limit > MAX_RECENT) {
            throw Replies.failure(400, "limit: must be 0.." + MAX_RECENT);
        }
        return dev.tower.api.codec.Json.write(recent.newest(filter, limit));
    }

    /** Events streams one principal may hold open at once, of the master's {@link EventStreams#DEFAULT_MAX_STREAMS}. */
    public static final int MAX_STREAMS_PER_PRINCIPAL = 16;

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public void events(@QueryParam("type") List<String> types, @QueryParam("subject") String subject,
                       @Context SseEventSink sink, @Context Sse sse, @Context Request request) {
        EventFilter filter;
        try {
            filter = EventFilter.of(types, subject);
        } catch (IllegalArgumentException e) {
            throw Replies.failure(400, e.getMessage());
        }
        long e = epoch.getAsLong();
        if (e < 0) {
            throw Replies.failure(503, CallGateway.NOT_LEADING);
        }
        var subscribed = new EventStreamControl.Subscribed(masterId, address.get(), e, heartbeatSeconds,
                filter.types(), filter.subject());
        // Taken now: the request object is recycled once its response ends.
        org.glassfish.grizzly.Connection<?> connection = request.getContext().getConnection();
        Runnable cut = connection::terminateSilently;
        String principal = CallAudit.principal(request);
        boolean authenticated = !CallAudit.ANONYMOUS.equals(principal);
        // One principal cannot take every stream of the master: the others keep room to watch.
        if (authenticated && streams.countOf(principal) >= MAX_STREAMS_PER_PRINCIPAL) {
            throw Replies.failure(429, "principal '" + principal + "' has " + MAX_STREAMS_PER_PRINCIPAL
                    + " events streams open on this master already; close one, or read the events from Kafka");
        }
        if (!streams.open(filter, subscribed, sink, sse, cut, authenticated ? principal : null)) {
            throw Replies.failure(429, "too many events streams open on this master (" + streams.count()
                    + "); close one, or read the events from Kafka");
        }
    }
}
