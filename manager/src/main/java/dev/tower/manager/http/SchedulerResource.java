package dev.tower.manager.http;

import dev.tower.api.codec.Json;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.manager.core.Command;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;

/**
 * {@code POST /api/v1/scheduler}: SUBSCRIBE (with {@code Accept: text/event-stream}) opens the framework's event
 * stream. Every other call is answered (202 or 400) by {@link StreamCallHandler} before it reaches JAX-RS.
 */
@Path("/api/v1/scheduler")
public final class SchedulerResource {
    private final CallGateway gateway;

    public SchedulerResource(CallGateway gateway) {
        this.gateway = gateway;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public void subscribe(String body, @HeaderParam(CallGateway.STREAM_HEADER) String streamId,
                          @Context SseEventSink sink, @Context Sse sse) {
        SchedulerCall call = Json.read(body, SchedulerCall.class);
        if (!(call instanceof SchedulerCall.Subscribe subscribe)) {
            // Some clients ask for an event stream on every call; answer them as a plain call.
            gateway.callAndThrowReply(new Command.FromFramework(streamId, call));
            return;
        }
        gateway.openStream(Streams.Kind.FRAMEWORK, sink, sse, id -> new Command.SubscribeFramework(id, subscribe));
    }
}
