package dev.tower.manager.security;

import dev.tower.api.security.Credential;
import dev.tower.api.security.Principals;
import dev.tower.manager.LocalMaster;
import dev.tower.manager.http.EventsResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Limits per principal (scheduler calls, events streams) and on request headers; the master keeps serving. */
class HardeningTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Credential GREEDY = Credential.basic("greedy", "greedy-secret");
    private static final Credential POLITE = Credential.basic("polite", "polite-secret");

    @TempDir
    Path workDir;
    private LocalMaster master;

    @BeforeEach
    void start() {
        master = LocalMaster.start(workDir, new MasterSecurity(Principals.of(Map.of("greedy", "greedy-secret", "polite",
                        "polite-secret")), null, null, null, 5));
    }

    @AfterEach
    void stop() {
        master.close();
    }

    private HttpResponse<String> decline(Credential who) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(master.uri("/api/v1/scheduler"))
                .header("Authorization", who.authorization()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"DECLINE\",\"frameworkId\":\"f\",\"offerIds\":[\"o\"]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aPrincipalOverItsSchedulerRateIsRefusedWhileOthersAreServed() throws Exception {
        List<HttpResponse<String>> greedy = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            greedy.add(decline(GREEDY));
        }
        List<HttpResponse<String>> refused = greedy.stream().filter(r -> r.statusCode() == 429).toList();
        // A burst of 10 at 5 calls a second: 40 calls in well under 6 s cannot all pass.
        assertThat(refused).isNotEmpty();
        assertThat(refused.get(0).body()).contains("principal 'greedy' is over its rate of 5.0 scheduler calls per second");
        assertThat(refused.get(0).headers().firstValue("Retry-After")).hasValue("1");
        assertThat(greedy.get(0).statusCode()).as("within the burst: the core answers (unknown framework)").isNotEqualTo(429);

        assertThat(decline(POLITE).statusCode()).as("another principal's bucket").isNotEqualTo(429);
    }

    @Test
    void oversizedHeadersAreRefusedAndTheMasterGoesOn() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(master.uri("/api/v1/state"))
                .header("Authorization", POLITE.authorization()).header("X-Padding", "x".repeat(64 * 1024)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isBetween(400, 499);
        HttpResponse<String> after = HTTP.send(HttpRequest.newBuilder(master.uri("/api/v1/state")).header("Authorization", POLITE.authorization()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(after.statusCode()).isEqualTo(200);
    }

    @Test
    void onePrincipalCannotHoldEveryEventsStream() throws Exception {
        List<InputStream> open = new ArrayList<>();
        try {
            for (int i = 0; i < EventsResource.MAX_STREAMS_PER_PRINCIPAL; i++) {
                HttpResponse<InputStream> r = events(GREEDY);
                assertThat(r.statusCode()).as("stream %d", i).isEqualTo(200);
                open.add(r.body());
            }
            HttpResponse<InputStream> over = events(GREEDY);
            assertThat(over.statusCode()).isEqualTo(429);
            assertThat(new String(over.body().readAllBytes())).contains("principal 'greedy' has 16 events streams open");
            HttpResponse<InputStream> other = events(POLITE);
            assertThat(other.statusCode()).isEqualTo(200);
            open.add(other.body());
        } finally {
            for (InputStream in : open) {
                in.close();
            }
        }
    }

    private HttpResponse<InputStream> events(Credential who) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(master.uri("/api/v1/events"))
                .header("Accept", "text/event-stream").header("Authorization", who.authorization())
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofInputStream());
    }
}
