package dev.tower.manager.ui;

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

/** The web UI's files as a leading master serves them, beside an API that is left alone. */
class WebUiServingTest {
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

    private HttpResponse<String> get(String path, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(master.uri(path))
                .timeout(Duration.ofSeconds(10)).GET();
        if (accept != null) {
            b.header("Accept", accept);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theRootAndEveryPageAddressAnswerThePageWithAStrictContentPolicy() throws Exception {
        for (String path : new String[] {"/", "/agents", "/agents/agent-1", "/frameworks/fw-1", "/tasks?state=RUNNING",
                "/tasks/t-1?framework=fw-1", "/events"}) {
            HttpResponse<String> r = get(path, "text/html,application/xhtml+xml");
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).as(path).hasValueSatisfying(t -> t.startsWith("text/html"));
            assertThat(r.body()).as(path).contains("<script src=\"/ui/app.js\"");
            assertThat(r.headers().firstValue("Content-Security-Policy")).as(path)
                    .hasValueSatisfying(p -> assertThat(p).contains("script-src 'self'"));
        }
    }

    @Test
    void assetsAreServedWithTheirTypesAndAnUnknownOneIs404() throws Exception {
        assertThat(get("/ui/app.js", null).headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/javascript"));
        assertThat(get("/ui/style.css", null).body()).contains("body");
        HttpResponse<String> missing = get("/ui/nothing.js", null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("nothing.js");
    }

    @Test
    void theApiIsNotTakenForPages() throws Exception {
        HttpResponse<String> tasks = get("/api/v1/tasks?limit=10", "application/json");
        assertThat(tasks.statusCode()).isEqualTo(200);
        assertThat(tasks.body()).isEqualTo("[]");
        assertThat(tasks.headers().firstValue("X-Total-Count")).contains("0");
        // A page address asked for by a program (not a browser) is not a page.
        assertThat(get("/agents", "application/json").statusCode()).isEqualTo(404);
        assertThat(get("/api/v1/tasks?limit=5000", null).statusCode()).isEqualTo(400);
        assertThat(get("/api/v1/tasks?order=sideways&limit=5", null).body()).contains("order:");
        assertThat(get("/api/v1/summary", null).body()).contains("\"tasks\":{}");
        assertThat(get("/api/v1/events/recent?limit=5", null).body()).contains("master.elected");
        assertThat(get("/api/v1/agents/agent-nope/files/read?task=t&path=stdout", null).statusCode()).isEqualTo(404);
    }
}
