package dev.tower.hadoop.yarn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads YARN's demand and nodes from the ResourceManager's REST API. Both JSON shapes are read: the documented one
 * ({@code {"clusterMetrics":{"containersPending":…}}}, {@code {"nodes":{"node":[{"id":…,"usedMemoryMB":…}]}}}) and
 * the bean-property one a 3.4.2 ResourceManager writes when run with a newer Jackson (2.21, say) than its own
 * ({@code {"pendingContainers":…}}, {@code {"nodes":[{"nodeId":…,"usedMemory":…}]}}).
 */
public final class ResourceManagerWeb {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient http;

    public ResourceManagerWeb(String webUrl) {
        this.base = URI.create(webUrl.endsWith("/") ? webUrl : webUrl + "/");
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
    }

    public ClusterDemand demand() throws IOException, InterruptedException {
        return demand(get("ws/v1/cluster/metrics"));
    }

    public List<NodeReport> nodes() throws IOException, InterruptedException {
        return nodes(get("ws/v1/cluster/nodes"));
    }

    /** The whole {@code clusterMetrics} object, for status output. */
    public JsonNode metrics() throws IOException, InterruptedException {
        return metricsObject(get("ws/v1/cluster/metrics"));
    }

    static JsonNode metricsObject(JsonNode body) {
        return body.has("clusterMetrics") ? body.get("clusterMetrics") : body;
    }

    static ClusterDemand demand(JsonNode body) {
        JsonNode m = metricsObject(body);
        return new ClusterDemand(either(m, "containersPending", "pendingContainers").asLong(),
                m.path("pendingMB").asLong(), m.path("pendingVirtualCores").asLong());
    }

    /** Field {@code a}, or {@code b} when there is no {@code a}. */
    static JsonNode either(JsonNode n, String a, String b) {
        return n.has(a) ? n.get(a) : n.path(b);
    }

    static List<NodeReport> nodes(JsonNode body) {
        List<NodeReport> out = new ArrayList<>();
        JsonNode list = body.path("nodes").isArray() ? body.path("nodes") : body.path("nodes").path("node");
        for (JsonNode n : list) {
            Capacity used = new Capacity(either(n, "usedMemoryMB", "usedMemory").asLong(),
                    n.path("usedVirtualCores").asInt());
            // Available goes negative while a shrunk node is still over-committed: the sum is its capability.
            Capacity capacity = new Capacity(
                    Math.max(0, used.memoryMb() + either(n, "availMemoryMB", "availableMemory").asLong()),
                    Math.max(0, used.vcores() + n.path("availableVirtualCores").asInt()));
            out.add(new NodeReport(either(n, "id", "nodeId").asText(), n.path("state").asText(), capacity, used,
                    n.path("numContainers").asInt()));
        }
        return out;
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(5))
                .header("Accept", "application/json").GET().build();
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + request.uri() + ": HTTP " + r.statusCode());
        }
        return JSON.readTree(r.body());
    }
}
