package dev.tower.manager.http;

import dev.tower.manager.LocalMaster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Bodies too large or too deeply nested are refused with a 4xx naming the limit; the master goes on serving. */
class RequestLimitsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path workDir;
    private LocalMaster master;

    @BeforeEach
    void start() {
        master = LocalMaster.start(workDir);
    }

    @AfterEach
    void stop() {
        master.close();
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(master.uri(path))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aBodyOverTheLimitIs413OnEveryApi() throws Exception {
        String huge = "{\"type\":\"DECLINE\",\"frameworkId\":\"" + "x".repeat(20 * 1024 * 1024) + "\"}";
        for (String path : new String[] {"/api/v1/scheduler", "/api/v1/agent", "/api/v1/operator",
                "/v1/submissions/create"}) {
            HttpResponse<String> r = post(path, huge);
            assertThat(r.statusCode()).as(path).isEqualTo(413);
            assertThat(r.body()).as(path).contains("at most 16777216");
        }
        assertThat(post("/api/v1/operator", "{\"type\":\"UPDATE_WEIGHTS\",\"weights\":{\"a\":2}}").statusCode())
                .isEqualTo(202);
    }

    @Test
    void deeplyNestedJsonIs400NotAStackOverflow() throws Exception {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        for (String body : new String[] {deep, "{\"type\":\"UPDATE_WEIGHTS\",\"weights\":" + deep + "}"}) {
            HttpResponse<String> r = post("/api/v1/operator", body);
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).startsWith("{\"error\":");
        }
    }
}
