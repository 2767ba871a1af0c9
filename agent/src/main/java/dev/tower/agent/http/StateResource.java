package dev.tower.agent.http;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import dev.tower.agent.task.TaskView;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code /health} for liveness probes and {@code /api/v1/state} for people and tools. */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public final class StateResource {
    private final AgentStateSource state;

    @Inject
    public StateResource(AgentStateSource state) {
        this.state = state;
    }

    @GET
    @Path("health")
    public Response health() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "ok");
        out.put("agentId", state.get().agentId());
        return JsonErrors.json(200, out);
    }

    @GET
    @Path("api/v1/state")
    public Response state() {
        return JsonErrors.json(200, state.get());
    }

    /** One task as the agent sees it, with what it has used so far ({@code usage}, null when not measured). */
    @GET
    @Path("api/v1/usage")
    public Response usage(@QueryParam("task") String task, @QueryParam("framework") String framework) {
        if (task == null || task.isEmpty()) {
            throw ApiException.badRequest("task: missing");
        }
        for (TaskView t : state.get().tasks()) {
            if (t.taskId().equals(task) && (framework == null || framework.isEmpty() || t.frameworkId().equals(framework))) {
                return JsonErrors.json(200, t);
            }
        }
        throw ApiException.notFound("task: no task '" + task + "' runs on this agent");
    }
}
