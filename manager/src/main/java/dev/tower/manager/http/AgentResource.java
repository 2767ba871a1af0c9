package dev.tower.manager.http;

import dev.tower.api.agent.AgentCall;
import dev.tower.api.codec.Json;
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

/** {@code POST /api/v1/agent}: SUBSCRIBE opens the agent's stream; UPDATE and HEARTBEAT are answered by {@link StreamCallHandler}. */
@Path("/api/v1/agent")
public final class AgentResource {
    private final CallGateway gateway;

    public AgentResource(CallGateway gateway) {
        this.gateway = gateway;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public void subscribe(String body, @HeaderParam(CallGateway.STREAM_HEADER) String streamId,
                          @Context SseEventSink sink, @Context Sse sse) {
        AgentCall call = Json.read(body, AgentCall.class);
        if (!(call instanceof AgentCall.Subscribe subscribe)) {
            gateway.callAndThrowReply(new Command.FromAgent(streamId, call));
            return;
        }
        gateway.openStream(Streams.Kind.AGENT, sink, sse, id -> new Command.SubscribeAgent(id, subscribe));
    }
}
