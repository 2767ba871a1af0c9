package dev.tower.agent.http;

import dev.tower.agent.metrics.AgentMetrics;
import dev.tower.agent.metrics.FixedAgentStatus;
import dev.tower.agent.sandbox.Sandboxes;
import dev.tower.agent.security.AgentSecurity;
import dev.tower.agent.security.TaskTokens;
import dev.tower.api.security.Credential;
import dev.tower.api.security.Principals;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An agent that authenticates: its principals read everything, a task's token reads that task's sandbox and nothing
 * else, anyone else gets 401.
 */
class TaskTokenTest {
    @TempDir
    Path workDir;
    AgentHttpServer server;
    TaskTokens tokens;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void setUp() throws Exception {
        Sandboxes sandboxes = new Sandboxes(workDir);
        Files.writeString(sandboxes.create("fw1", "t1").resolve("stdout"), "fw1 t1 output");
        Files.writeString(sandboxes.create("fw1", "t2").resolve("stdout"), "fw1 t2 output");
        Files.writeString(sandboxes.create("fw2", "t1").resolve("stdout"), "fw2 t1 output");
        tokens = TaskTokens.load(workDir);
        server = AgentHttpServer.start(0, sandboxes, () -> new AgentStateView("agent-1", "127.0.0.1", 0, true,
                        null, Map.of(), List.of()), new AgentMetrics(FixedAgentStatus.idle()),
                new AgentSecurity(Principals.of(Map.of("master", "master-secret")), null, null), tokens);
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    private HttpResponse<String> get(String pathAndQuery, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + pathAndQuery));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aTasksTokenReadsItsOwnSandboxOnly() throws Exception {
        String token = Credential.bearer(tokens.issue("fw1", "t1")).authorization();
        // Its own sandbox, even with another framework's task of the same id on the agent.
        HttpResponse<String> own = get("/files/read?task=t1&path=stdout", token);
        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(own.body()).contains("fw1 t1 output");
        assertThat(get("/files/browse?task=t1&framework=fw1", token).statusCode()).isEqualTo(200);

        for (String other : List.of("/files/read?task=t2&path=stdout", "/files/read?task=t1&framework=fw2&path=stdout",
                "/files/browse?task=t2", "/api/v1/state", "/metrics")) {
            HttpResponse<String> r = get(other, token);
            assertThat(r.statusCode()).as(other).isEqualTo(403);
            assertThat(r.body()).as(other).contains("the token of task 't1' (framework 'fw1') reads only that task's sandbox")
                    .doesNotContain("output");
        }
    }

    @Test
    void callersWithoutAValidCredentialGet401() throws Exception {
        String forged = tokens.issue("fw1", "t1").replaceFirst("\\.[^.]+\\.", "." + java.util.Base64.getUrlEncoder()
                .withoutPadding().encodeToString("t2".getBytes()) + ".");
        for (String auth : new String[] {null, Credential.basic("master", "wrong").authorization(), "Bearer " + forged,
                "Bearer master-secret-not", "Bearer " + TaskTokens.load(Files.createTempDirectory(workDir, "other"))
                .issue("fw1", "t1")}) {
            for (String path : List.of("/files/read?task=t1&framework=fw1&path=stdout", "/api/v1/state", "/metrics")) {
                HttpResponse<String> r = get(path, auth);
                assertThat(r.statusCode()).as(path + " with " + auth).isEqualTo(401);
                assertThat(r.body()).as(path).startsWith("{\"error\":\"unauthenticated").doesNotContain("output");
                assertThat(r.headers().firstValue("WWW-Authenticate")).isPresent();
            }
        }
        assertThat(get("/health", null).statusCode()).isEqualTo(200);
    }

    @Test
    void aPrincipalReadsEverySandboxAndTheState() throws Exception {
        String master = Credential.basic("master", "master-secret").authorization();
        assertThat(get("/files/read?task=t2&path=stdout", master).body()).contains("fw1 t2 output");
        assertThat(get("/files/read?task=t1&framework=fw2&path=stdout", master).body()).contains("fw2 t1 output");
        assertThat(get("/api/v1/state", master).statusCode()).isEqualTo(200);
        assertThat(get("/api/v1/state", Credential.bearer("master-secret").authorization()).statusCode()).isEqualTo(200);
    }

    @Test
    void theTokenKeyIsTheAgentsAloneAndOutlivesARestart() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(workDir.resolve("task-token.key"))))
                .isEqualTo("rw-------");
        String token = tokens.issue("fw1", "t1");
        assertThat(TaskTokens.load(workDir).verify(token)).contains(new TaskTokens.Scope("fw1", "t1"));
    }
}
