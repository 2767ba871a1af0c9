package dev.tower.manager.http;

import dev.tower.api.agent.AgentCall;
import dev.tower.manager.security.Acls;
import dev.tower.api.codec.BadInputException;
import dev.tower.api.codec.Json;
import dev.tower.manager.core.Command;
import dev.tower.manager.core.Reply;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import org.glassfish.grizzly.http.server.Request;

/**
 * {@code POST /api/v1/agent}: SUBSCRIBE opens the agent's stream (and is audited); UPDATE and HEARTBEAT are answered
 * by {@link StreamCallHandler}.
 */
@Path("/api/v1/agent")
public final class AgentResource {
    private final CallGateway gateway;
    private final CallAudit audit;
    private final Authorizer authorizer;

    public AgentResource(CallGateway gateway, CallAudit audit, Authorizer authorizer) {
        this.gateway = gateway;
        this.audit = audit;
        this.authorizer = authorizer;
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public void subscribe(String body, @HeaderParam(CallGateway.STREAM_HEADER) String streamId,
                          @Context SseEventSink sink, @Context Sse sse, @Context Request request) {
        AgentCall call;
        try {
            call = Json.read(body, AgentCall.class);
        } catch (BadInputException e) {
            audit.undecodable(CallAudit.Caller.of(request), "agent", body, 400, e.getMessage());
            throw e;
        }
        if (!(call instanceof AgentCall.Subscribe subscribe)) {
            gateway.callAndThrowReply(new Command.FromAgent(streamId, call));
            return;
        }
        CallAudit.Caller who = CallAudit.Caller.of(request);
        Acls.Decision d = authorizer.check(who.principal(), Acls.Permission.REGISTER_AGENTS,
                subscribe.agent() == null ? null : subscribe.agent().hostname());
        if (!d.allowed()) {
            Reply refused = Authorizer.forbidden(d);
            audit.agentSubscribe(who, subscribe, refused);
            throw Replies.failure(refused);
        }
        Reply reply = gateway.openStream(Streams.Kind.AGENT, sink, sse, id -> new Command.SubscribeAgent(id, subscribe));
        audit.agentSubscribe(who, subscribe, reply);
        if (reply.isError()) {
            throw Replies.failure(reply);
        }
    }
}
