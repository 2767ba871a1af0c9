package dev.tower.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A POST from a JDK HttpClient with its default settings (HTTP/2, so the plain-HTTP request carries
 * {@code Upgrade: h2c}) must be answered like any other.
 */
@ExtendWith(LogsOnFailure.class)
class DefaultHttpClientTest {
    private static Cluster cluster;

    @BeforeAll
    static void start() {
        cluster = Cluster.start("h2c", 0, "5s");
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void postWithTheJdkDefaultClientIsAnswered() throws Exception {
        HttpClient defaults = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(cluster.uri("/api/v1/scheduler"))
                .timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json")
                .header("Tower-Stream-Id", "no-such-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":"))
                .build();

        HttpResponse<String> r = defaults.send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("malformed JSON");
    }
}
