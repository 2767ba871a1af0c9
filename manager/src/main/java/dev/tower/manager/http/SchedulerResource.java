package dev.tower.manager.http;

import dev.tower.api.codec.BadInputException;
import dev.tower.api.codec.Json;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.manager.core.Command;
import dev.tower.manager.core.Reply;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import org.glassfish.grizzly.http.server.Request;

/**
 * {@code POST /api/v1/scheduler}: SUBSCRIBE (with {@code Accept: text/event-stream}) opens the framework's event
 * stream. Every other call is answered (202 or 400) by {@link StreamCallHandler} before it reaches JAX-RS. Audited
 * calls are audited here with their outcome, rejected ones included.
 */
@Path("/api/v1/scheduler")
public final class SchedulerResource {
    private final CallGateway gateway;
    private final CallAudit audit;

    public SchedulerResource(CallGateway gateway, CallAudit audit) {
        this.gateway = gateway;
        this.audit = audit;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public void subscribe(String body, @HeaderParam(CallGateway.STREAM_HEADER) String streamId,
                          @Context SseEventSink sink, @Context Sse sse, @Context Request request) {
        CallAudit.Caller who = CallAudit.Caller.of(request);
        SchedulerCall call;
        try {
            call = Json.read(body, SchedulerCall.class);
        } catch (BadInputException e) {
            audit.undecodable(who, "scheduler", body, 400, e.getMessage());
            throw e;
        }
        Reply reply;
        if (call instanceof SchedulerCall.Subscribe subscribe) {
            reply = gateway.openStream(Streams.Kind.FRAMEWORK, sink, sse,
                    id -> new Command.SubscribeFramework(id, subscribe));
            audit.scheduler(who, call, reply);
            if (reply.isError()) {
                throw Replies.failure(reply);
            }
            return;
        }
        // Some clients ask for an event stream on every call; answer them as a plain call.
        reply = gateway.await(new Command.FromFramework(streamId, call));
        audit.scheduler(who, call, reply);
        throw new WebApplicationException(Replies.toResponse(reply));
    }
}
