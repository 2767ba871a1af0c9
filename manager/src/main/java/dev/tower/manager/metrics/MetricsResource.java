package dev.tower.manager.metrics;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;

/**
 * {@code GET /metrics}: this master's metrics in the Prometheus text format. Answered by every master, a standby too
 * (it reports {@code tower_master_leader 0} and its JVM), since each is scraped on its own.
 */
@Path(MetricsResource.PATH)
public final class MetricsResource {
    public static final String PATH = "/metrics";

    private final MasterMetrics metrics;

    public MetricsResource(MasterMetrics metrics) {
        this.metrics = metrics;
    }

    @GET
    public Response scrape() {
        StreamingOutput body = metrics::write;
        return Response.ok(body).header("Content-Type", MasterMetrics.CONTENT_TYPE).build();
    }
}
