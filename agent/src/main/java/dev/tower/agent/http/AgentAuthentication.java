package dev.tower.agent.http;

import dev.tower.agent.security.TaskTokens;
import dev.tower.api.security.Principals;
import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;

import java.util.Optional;

/**
 * Who may call the agent's API when it authenticates: a principal of its credentials file (the master, operators)
 * reads everything; a task's token ({@link TaskTokens}) reads that task's sandbox and usage and nothing else; anyone else gets
 * {@code 401}. {@code /health} stays open.
 */
@PreMatching
@Priority(Priorities.AUTHENTICATION)
public final class AgentAuthentication implements ContainerRequestFilter {
    private final Principals principals;
    private final TaskTokens tokens;

    public AgentAuthentication(Principals principals, TaskTokens tokens) {
        this.principals = principals;
        this.tokens = tokens;
    }

    @Override
    public void filter(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (path.equals("health") || path.equals("/health")) {
            return;
        }
        String header = request.getHeaderString("Authorization");
        if (principals.authenticate(header).isPresent()) {
            return;
        }
        Optional<TaskTokens.Scope> task = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? tokens.verify(header.substring(7).trim()) : Optional.empty();
        if (task.isEmpty()) {
            Response r = JsonErrors.error(401, header == null || header.isBlank()
                    ? "unauthenticated: this agent requires a principal and secret (HTTP Basic) or a token (HTTP Bearer)"
                    : "unauthenticated: unknown principal, wrong secret or unknown token");
            request.abortWith(Response.fromResponse(r)
                    .header("WWW-Authenticate", "Basic realm=\"Tower agent\", charset=\"UTF-8\"").build());
            return;
        }
        TaskTokens.Scope scope = task.get();
        MultivaluedMap<String, String> params = request.getUriInfo().getQueryParameters();
        String taskParam = params.getFirst("task");
        String framework = params.getFirst("framework");
        String p = path.startsWith("/") ? path.substring(1) : path;
        boolean itsOwn = p.startsWith("files/") || p.equals("api/v1/usage");
        if (!itsOwn || !scope.taskId().equals(taskParam)
                || (framework != null && !framework.isEmpty() && !scope.frameworkId().equals(framework))) {
            request.abortWith(JsonErrors.error(403, "the token of task '" + scope.taskId()
                    + "' (framework '" + scope.frameworkId() + "') reads only that task's sandbox"));
            return;
        }
        if (framework == null || framework.isEmpty()) {
            // Pinned to the token's framework: another framework's task of the same id stays out of reach.
            request.setRequestUri(UriBuilder.fromUri(request.getUriInfo().getRequestUri())
                    .replaceQueryParam("framework", scope.frameworkId()).build());
        }
    }
}
