package dev.tower.manager.http;

import dev.tower.api.codec.BadInputException;
import dev.tower.api.codec.Json;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.manager.security.Acls;
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
    private final Authorizer authorizer;
    private final boolean authenticated;

    /** @param authenticated whether callers are authenticated: a framework then acts as its caller's principal */
    public SchedulerResource(CallGateway gateway, CallAudit audit, Authorizer authorizer, boolean authenticated) {
        this.gateway = gateway;
        this.audit = audit;
        this.authorizer = authorizer;
        this.authenticated = authenticated;
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
        if (call instanceof SchedulerCall.Subscribe asked) {
            Reply refused = refusal(who.principal(), asked.framework());
            if (refused != null) {
                audit.scheduler(who, call, refused);
                throw Replies.failure(refused);
            }
            SchedulerCall.Subscribe subscribe = authenticated ? asPrincipal(asked, who.principal()) : asked;
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

    /**
     * Why the caller may not subscribe this framework, or null: with authentication, a framework that names a
     * principal must name the caller's; the caller needs {@code register_frameworks} in its role and, for a framework
     * that names the user its tasks run as, {@code run_tasks} as that user.
     */
    private Reply refusal(String principal, FrameworkInfo f) {
        if (f == null) {
            return null; // the core answers 400
        }
        if (authenticated && f.principal() != null && !f.principal().isEmpty() && !f.principal().equals(principal)) {
            return new Reply(403, null, "framework.principal: '" + f.principal()
                    + "' is not the authenticated principal '" + principal + "'");
        }
        Acls.Decision d = authorizer.check(principal, Acls.Permission.REGISTER_FRAMEWORKS, f.role());
        if (d.allowed() && f.user() != null && !f.user().isEmpty()) {
            d = authorizer.check(principal, Acls.Permission.RUN_TASKS, f.user());
        }
        return d.allowed() ? null : Authorizer.forbidden(d);
    }

    private static SchedulerCall.Subscribe asPrincipal(SchedulerCall.Subscribe s, String principal) {
        FrameworkInfo f = s.framework();
        if (f == null || principal.equals(f.principal())) {
            return s;
        }
        return new SchedulerCall.Subscribe(new FrameworkInfo(f.id(), f.name(), f.role(), principal, f.user(),
                f.hostname(), f.failoverTimeoutSeconds(), f.capabilities()));
    }
}
