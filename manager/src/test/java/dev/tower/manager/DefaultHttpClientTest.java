package dev.tower.manager;

import dev.tower.api.codec.Json;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.api.scheduler.SchedulerEvent;
import dev.tower.api.sse.SseReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A JDK HttpClient with its default settings prefers HTTP/2, so each plain-HTTP request it sends carries an h2c
 * upgrade offer ({@code Connection: Upgrade, HTTP2-Settings}, {@code Upgrade: h2c}). The master must ignore the offer
 * and answer over HTTP/1.1, reading the request body like any other.
 */
class DefaultHttpClientTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    static Path workDir;

    private static Master master;
    private static final HttpClient defaults = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        master = Master.start(MasterOptions.defaults(workDir).withHosts("127.0.0.1", "127.0.0.1").withPort(0));
    }

    @AfterAll
    static void stop() {
        if (master != null) {
            master.close();
        }
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + master.port() + path)).timeout(TIMEOUT);
    }

    private static HttpResponse<String> post(String path, String json) throws Exception {
        return defaults.send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void operatorCallIsReadAndAnswered() throws Exception {
        HttpResponse<String> bad = post("/api/v1/operator", "{\"type\":\"UPDATE_WEIGHTS\",\"weights\":{\"ops\":-1}}");
        assertThat(bad.statusCode()).as(bad.body()).isEqualTo(400);
        assertThat(bad.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(bad.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(bad.body()).contains("weights.ops: must be a number > 0");

        HttpResponse<String> good = post("/api/v1/operator", "{\"type\":\"UPDATE_WEIGHTS\",\"weights\":{\"ops\":3}}");
        assertThat(good.statusCode()).as(good.body()).isEqualTo(202);
    }

    @Test
    void malformedSchedulerCallIsRejected() throws Exception {
        HttpResponse<String> r = defaults.send(request("/api/v1/scheduler")
                .header("Content-Type", "application/json")
                .header("Tower-Stream-Id", "no-such-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("malformed JSON");
    }

    @Test
    void subscribeStreamsEvents() throws Exception {
        HttpRequest subscribe = request("/api/v1/scheduler")
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(
                        Json.write(new SchedulerCall.Subscribe(FrameworkInfo.named("h2c", "*")))))
                .build();
        HttpResponse<InputStream> r = defaults.send(subscribe, HttpResponse.BodyHandlers.ofInputStream());
        try (SseReader sse = new SseReader(r.body())) {
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));

            SseReader.Event first = CompletableFuture.supplyAsync(() -> {
                try {
                    return sse.next();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(first).isNotNull();
            assertThat(Json.read(first.data(), SchedulerEvent.class)).isInstanceOf(SchedulerEvent.Subscribed.class);
        }
    }

    @Test
    void getIsAnsweredWithItsContentType() throws Exception {
        HttpResponse<String> r = defaults.send(request("/api/v1/roles").GET().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    }
}
