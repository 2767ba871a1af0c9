package dev.tower.manager.http;

import dev.tower.api.operator.AgentView;
import dev.tower.manager.core.Command;
import dev.tower.manager.core.Reply;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.UriInfo;
import org.glassfish.grizzly.http.server.Request;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /api/v1/agents/{agentId}/files/{read|browse}?task=&framework=&path=&offset=&length=} and
 * {@code GET /api/v1/agents/{agentId}/usage?task=&framework=}: an agent's {@code /files} and {@code /api/v1/usage}
 * through the master, so that a browser (the web UI) needs to reach only the master. The agent's
 * answer, error or not, is passed on as it is; an agent the master cannot reach is a 502 naming it.
 */
@Path("/api/v1/agents/{agentId}")
@Produces(MediaType.APPLICATION_JSON)
public final class AgentFilesProxy {
    private static final Set<String> PARAMS = Set.of("task", "framework", "path", "offset", "length");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final CallGateway gateway;
    private final HttpClient http;
    private final Authorizer authorizer;

    /** @param http calls agents with the master's credential (and TLS trust) */
    public AgentFilesProxy(CallGateway gateway, HttpClient http, Authorizer authorizer) {
        this.gateway = gateway;
        this.http = http;
        this.authorizer = authorizer;
    }

    @GET
    @Path("files/read")
    public void read(@PathParam("agentId") String agentId, @Context UriInfo uri, @Context Request request,
                     @Suspended AsyncResponse r) {
        forward(agentId, "/files/read", uri, CallAudit.principal(request), r);
    }

    @GET
    @Path("files/browse")
    public void browse(@PathParam("agentId") String agentId, @Context UriInfo uri, @Context Request request,
                       @Suspended AsyncResponse r) {
        forward(agentId, "/files/browse", uri, CallAudit.principal(request), r);
    }

    /** What a task has used so far (the agent's {@code /api/v1/usage}): readable by whoever may read its sandbox. */
    @GET
    @Path("usage")
    public void usage(@PathParam("agentId") String agentId, @Context UriInfo uri, @Context Request request,
                      @Suspended AsyncResponse r) {
        forward(agentId, "/api/v1/usage", uri, CallAudit.principal(request), r);
    }

    private void forward(String agentId, String op, UriInfo uri, String principal, AsyncResponse r) {
        r.setTimeout(CallGateway.REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        MultivaluedMap<String, String> params = uri.getQueryParameters();
        String task = params.getFirst("task");
        if (task == null || task.isEmpty()) {
            r.resume(Replies.error(400, "task: missing"));
            return;
        }
        authorizer.checkSandbox(principal, params.getFirst("framework"), task).thenAccept(d -> {
            if (d.allowed()) {
                forward(agentId, op, query(params), r);
            } else {
                r.resume(Replies.toResponse(Authorizer.forbidden(d)));
            }
        });
    }

    private void forward(String agentId, String op, String query, AsyncResponse r) {
        gateway.submit(new Command.Query(core -> core.reader().agent(agentId).<Reply>map(Reply::ok)
                .orElse(Reply.notFound("agentId: unknown agent '" + agentId + "'")))).thenAccept(reply -> {
                    Reply found = reply.body() instanceof Reply inner ? inner : reply;
                    if (found.isError()) {
                        r.resume(Replies.toResponse(found));
                        return;
                    }
                    AgentView agent = (AgentView) found.body();
                    String where = agent.hostname() + ":" + agent.port();
                    HttpRequest request = HttpRequest.newBuilder(
                            URI.create("http://" + where + op + query)).timeout(TIMEOUT).GET().build();
                    http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).whenComplete((resp, error) -> {
                        if (error != null) {
                            r.resume(Replies.error(502, "agent " + agentId + " at " + where + " cannot be reached: "
                                    + (error.getCause() != null ? error.getCause() : error)));
                        } else {
                            r.resume(Response.status(resp.statusCode()).type(MediaType.APPLICATION_JSON_TYPE)
                                    .entity(resp.body()).build());
                        }
                    });
                });
    }

    /** Only the parameters the agent's API knows, encoded again (never a raw query spliced into a URL). */
    private static String query(Map<String, List<String>> params) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, List<String>> e : params.entrySet()) {
            if (!PARAMS.contains(e.getKey()) || e.getValue().isEmpty()) {
                continue;
            }
            sb.append(sb.isEmpty() ? '?' : '&').append(e.getKey()).append('=')
                    .append(URLEncoder.encode(e.getValue().get(0), StandardCharsets.UTF_8));
        }
        return sb.toString();
    }
}
