package dev.tower.agent.http;

import dev.tower.agent.metrics.AgentMetrics;
import dev.tower.agent.metrics.FixedAgentStatus;
import dev.tower.agent.sandbox.Sandboxes;
import dev.tower.api.codec.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class FilesApiTest {
    @TempDir
    Path workDir;
    @TempDir
    Path outside;
    AgentHttpServer server;
    final HttpClient http = HttpClient.newHttpClient();
    Path sandbox;

    record Reply(int status, Map<String, Object> json, String body) {
    }

    @BeforeEach
    void setUp() throws Exception {
        Sandboxes sandboxes = new Sandboxes(workDir);
        sandbox = sandboxes.create("fw1", "t1");
        Files.writeString(sandbox.resolve("stdout"), "0123456789");
        Files.createDirectories(sandbox.resolve("logs"));
        Files.writeString(sandbox.resolve("logs/app.log"), "héllo");
        server = AgentHttpServer.start(0, sandboxes, () -> new AgentStateView("agent-1", "127.0.0.1", 0, true,
                null, Map.of(), List.of()), new AgentMetrics(FixedAgentStatus.idle()));
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    private Reply get(String pathAndQuery) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + pathAndQuery)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        Map<String, Object> json = r.body().startsWith("{") ? Json.mapper().readValue(r.body(), new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { }) : null;
        return new Reply(r.statusCode(), json, r.body());
    }

    private static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void readsWithOffsetAndLength() throws Exception {
        Reply r = get("/files/read?task=t1&path=stdout&offset=2&length=3");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json()).containsEntry("path", "stdout").containsEntry("offset", 2).containsEntry("size", 10)
                .containsEntry("data", "234");

        assertThat(get("/files/read?task=t1&framework=fw1&path=stdout").json()).containsEntry("data", "0123456789");
        assertThat(get("/files/read?task=t1&path=stdout&offset=-1").json()).containsEntry("size", 10).containsEntry("data", "");
        assertThat(get("/files/read?task=t1&path=stdout&offset=50").json()).containsEntry("data", "");
        assertThat(get("/files/read?task=t1&path=logs/app.log").json()).containsEntry("data", "héllo");
    }

    @Test
    void pathsLeavingTheSandboxAreRejected() throws Exception {
        Files.writeString(outside.resolve("secret"), "s3cret");
        Files.createSymbolicLink(sandbox.resolve("link"), outside.resolve("secret"));

        for (String path : List.of("../../x", "logs/../../t1x", "/etc/passwd", outside.resolve("secret").toString(), "link")) {
            Reply r = get("/files/read?task=t1&path=" + q(path));
            assertThat(r.status()).as(path).isEqualTo(400);
            assertThat(r.json()).as(path).containsEntry("error", "path: escapes the sandbox");
            assertThat(r.body()).doesNotContain("s3cret");
        }
        assertThat(get("/files/browse?task=t1&path=" + q("..")).status()).isEqualTo(400);
    }

    @Test
    void unknownTaskMissingFileAndBadParametersAreNamed() throws Exception {
        Reply unknown = get("/files/read?task=nope&path=stdout");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json()).containsEntry("error", "task: unknown task 'nope'");

        Reply missing = get("/files/read?task=t1&path=stderr");
        assertThat(missing.status()).isEqualTo(404);
        assertThat((String) missing.json().get("error")).startsWith("path:");

        assertThat((String) get("/files/read?path=stdout").json().get("error")).startsWith("task:");
        assertThat((String) get("/files/read?task=t1").json().get("error")).startsWith("path:");
        Reply badOffset = get("/files/read?task=t1&path=stdout&offset=abc");
        assertThat(badOffset.status()).isEqualTo(400);
        assertThat((String) badOffset.json().get("error")).startsWith("offset:");
        assertThat(get("/files/read?task=t1&path=stdout&length=-5").status()).isEqualTo(400);

        Reply noRoute = get("/nothing/here");
        assertThat(noRoute.status()).isEqualTo(404);
        assertThat(noRoute.json()).containsKey("error");
    }

    @Test
    void ambiguousTaskIdNeedsTheFramework() throws Exception {
        new Sandboxes(workDir).create("fw2", "t1");
        Reply r = get("/files/read?task=t1&path=stdout");
        assertThat(r.status()).isEqualTo(400);
        assertThat((String) r.json().get("error")).startsWith("framework:");
        assertThat(get("/files/read?task=t1&framework=fw1&path=stdout").status()).isEqualTo(200);
    }

    @Test
    void browsesDirectories() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/files/browse?task=t1")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        List<Map<String, Object>> entries = Json.mapper().readValue(r.body(), new com.fasterxml.jackson.core.type.TypeReference<List<Map<String, Object>>>() { });
        assertThat(entries).hasSize(2);
        Map<String, Object> logs = entries.get(0);
        assertThat(logs).containsEntry("path", "logs").containsEntry("dir", true);
        assertThat((String) logs.get("mode")).startsWith("d");
        Map<String, Object> stdout = entries.get(1);
        assertThat(stdout).containsEntry("path", "stdout").containsEntry("size", 10).containsEntry("dir", false)
                .containsKey("mtime");
    }

    @Test
    void healthAndState() throws Exception {
        assertThat(get("/health").json()).containsEntry("status", "ok").containsEntry("agentId", "agent-1");
        assertThat(get("/api/v1/state").json()).containsEntry("agentId", "agent-1").containsKey("tasks");
    }
}
