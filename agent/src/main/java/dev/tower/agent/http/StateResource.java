package dev.tower.agent.http;

import dev.tower.api.codec.Json;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** {@code /health} for liveness probes and {@code /api/v1/state} for people and tools. */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public final class StateResource {
    private final Supplier<AgentStateView> state;

    public StateResource(Supplier<AgentStateView> state) {
        this.state = state;
    }

    @GET
    @Path("health")
    public String health() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "ok");
        out.put("agentId", state.get().agentId());
        return Json.write(out);
    }

    @GET
    @Path("api/v1/state")
    public String state() {
        return Json.write(state.get());
    }
}
