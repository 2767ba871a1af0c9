package dev.tower.agent.metrics;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

/** {@code GET /metrics}: this agent's metrics in the Prometheus text format. */
@Path("/metrics")
public final class MetricsResource {
    private final AgentMetrics metrics;

    public MetricsResource(AgentMetrics metrics) {
        this.metrics = metrics;
    }

    @GET
    public Response scrape() {
        StreamingOutput body = metrics::write;
        return Response.ok(body).header("Content-Type", AgentMetrics.CONTENT_TYPE).build();
    }
}
