package dev.tower.manager.security;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.codec.Json;
import dev.tower.api.security.Credential;
import dev.tower.api.security.Principals;
import dev.tower.manager.LocalMaster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A master with principals and ACLs: every API but {@code /health} refuses a call without a known principal's
 * credential with 401 and nothing else; an authenticated principal outside an ACL gets 403 naming the permission,
 * audited; allowed calls work with Basic and with Bearer.
 */
class AuthenticationTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private static final Credential ADMIN = Credential.basic("admin", "admin-secret");
    private static final Credential SPARK = Credential.basic("spark", "spark-secret");
    private static final Credential AGENT = Credential.basic("agent", "agent-secret");
    private static final String ACLS = """
            {"permissive": false,
             "register_frameworks": [{"principals": ["spark"], "roles": ["analytics"]}],
             "run_tasks": [{"principals": ["spark"], "users": ["nobody"]}],
             "register_agents": [{"principals": ["agent"], "agents": "ANY"}],
             "update_weights": [{"principals": ["admin"], "roles": "ANY"}],
             "teardown_frameworks": [{"principals": ["admin"], "framework_principals": "ANY"}],
             "kill_tasks": [{"principals": ["admin"], "framework_principals": "ANY"}],
             "view_sandboxes": [{"principals": ["admin"], "framework_principals": "ANY"}],
             "submit_drivers": [{"principals": ["spark"], "roles": ["analytics"]}]}
            """;

    @TempDir
    Path workDir;
    private LocalMaster master;

    @BeforeEach
    void start() {
        Principals principals = Principals.of(Map.of("admin", "admin-secret", "spark", "spark-secret",
                "agent", "agent-secret"));
        master = LocalMaster.start(workDir, new MasterSecurity(principals, Acls.parse(ACLS), null, null));
    }

    @AfterEach
    void stop() {
        master.close();
    }

    /** Every API of the master, as a request without credentials. */
    private List<HttpRequest.Builder> everyApi() {
        String sub = subscribeBody("analytics", null, null);
        return List.of(
                post("/api/v1/scheduler", sub).header("Accept", "text/event-stream"),
                post("/api/v1/scheduler", "{\"type\":\"DECLINE\",\"frameworkId\":\"f\",\"offerIds\":[\"o\"]}"),
                post("/api/v1/agent", "{\"type\":\"HEARTBEAT\",\"agentId\":\"a\"}"),
                post("/api/v1/operator", "{\"type\":\"UPDATE_WEIGHTS\",\"weights\":{\"a\":2}}"),
                post("/v1/submissions/create", "{}"),
                post("/v1/submissions/kill/driver-1", ""),
                get("/v1/submissions/status/driver-1"),
                get("/api/v1/state"), get("/api/v1/agents"), get("/api/v1/frameworks"), get("/api/v1/roles"),
                get("/api/v1/tasks"), get("/api/v1/tasks/t1"), get("/api/v1/summary"), get("/api/v1/history"),
                get("/api/v1/submissions"), get("/api/v1/whynot?framework=f"),
                get("/api/v1/events").header("Accept", "text/event-stream"), get("/api/v1/events/recent"),
                get("/api/v1/agents/a1/files/read?task=t&path=stdout"), get("/metrics"),
                get("/").header("Accept", "text/html"), get("/tasks").header("Accept", "text/html"), get("/ui/app.js"));
    }

    @Test
    void everyApiButHealthRefusesCallersWithoutAValidCredential() throws Exception {
        for (String authorization : new String[] {null, Credential.basic("admin", "wrong").authorization(),
                Credential.basic("nobody", "admin-secret").authorization(), "Bearer wrong", "Basic !!!", "Digest x"}) {
            for (HttpRequest.Builder b : everyApi()) {
                if (authorization != null) {
                    b.header("Authorization", authorization);
                }
                HttpRequest request = b.build();
                HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
                String what = request.method() + " " + request.uri().getPath() + " with " + authorization;
                assertThat(r.statusCode()).as(what).isEqualTo(401);
                assertThat(r.headers().firstValue("WWW-Authenticate")).as(what).hasValue("Basic realm=\"Tower\", charset=\"UTF-8\"");
                assertThat(Json.mapper().readTree(r.body()).fieldNames()).as(what).toIterable().containsExactly("error");
                assertThat(r.body()).as(what).contains("unauthenticated");
            }
        }
        HttpResponse<String> health = HTTP.send(get("/health").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
    }

    @Test
    void noForgedOrMangledCredentialGetsAnythingBut401() throws Exception {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        java.util.Random random = new java.util.Random(seed);
        List<HttpRequest.Builder> apis = everyApi();
        String[] valid = {ADMIN.authorization(), SPARK.authorization(), "Bearer admin-secret"};
        int sent = 0;
        for (int i = 0; i < 1500; i++) {
            String header = forged(random, valid[random.nextInt(valid.length)]);
            HttpRequest.Builder b = everyApi().get(random.nextInt(apis.size()));
            HttpRequest request = b.header("Authorization", header).build();
            HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("seed %d: %s %s with Authorization [%s]", seed, request.method(),
                    request.uri().getPath(), header).isEqualTo(401);
            sent++;
        }
        System.out.println("AuthenticationTest: " + sent + " forged credentials (seed " + seed + "), all 401");
        assertThat(HTTP.send(get("/api/v1/summary").header("Authorization", ADMIN.authorization()).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    /** A credential that is not valid: a valid one mutated, or garbage of every shape. */
    private static String forged(java.util.Random random, String valid) {
        String b64 = valid.startsWith("Basic ") ? valid.substring(6) : null;
        switch (random.nextInt(9)) {
            case 0: { // one character of a valid header changed
                char[] c = valid.toCharArray();
                int at = 6 + random.nextInt(c.length - 6);
                c[at] = c[at] == 'A' ? 'B' : 'A';
                return new String(c);
            }
            case 1: // a valid header cut short
                return valid.substring(0, 7 + random.nextInt(valid.length() - 7));
            case 2: // a valid secret under another principal, or a principal with nothing
                return Credential.basic(random.nextBoolean() ? "agent" : "root",
                        random.nextBoolean() ? "admin-secret" : "x").authorization();
            case 3: // random bytes, Base64-encoded
                byte[] bytes = new byte[random.nextInt(64)];
                random.nextBytes(bytes);
                return "Basic " + java.util.Base64.getEncoder().encodeToString(bytes);
            case 4: // wrong scheme
                return List.of("Digest ", "Negotiate ", "bearer", "Basic", "Token ", "")
                        .get(random.nextInt(6)) + (b64 == null ? "YWRtaW46YWRtaW4tc2VjcmV0" : b64);
            case 5: // a huge header (under the 8 KiB limit of the server)
                return "Bearer " + "x".repeat(1000 + random.nextInt(6000));
            case 6: // printable noise
                StringBuilder sb = new StringBuilder();
                for (int i = random.nextInt(40); i > 0; i--) {
                    sb.append((char) (0x21 + random.nextInt(0x5e)));
                }
                return sb.toString();
            case 7: // the secret with spaces or padding around it
                return "Bearer  admin-secret " + (random.nextBoolean() ? "x" : ":");
            default: // principal:secret unencoded, or encoded with an extra colon
                return random.nextBoolean() ? "Basic admin:admin-secret"
                        : "Basic " + java.util.Base64.getEncoder().encodeToString("admin:admin-secret:".getBytes());
        }
    }

    @Test
    void aKnownPrincipalIsServedWithBasicOrBearer() throws Exception {
        HttpResponse<String> basic = HTTP.send(get("/api/v1/summary").header("Authorization", ADMIN.authorization())
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(basic.statusCode()).isEqualTo(200);
        HttpResponse<String> bearer = HTTP.send(get("/api/v1/state").header("Authorization",
                Credential.bearer("spark-secret").authorization()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(bearer.statusCode()).isEqualTo(200);
        HttpResponse<String> page = HTTP.send(get("/").header("Accept", "text/html").header("Authorization", ADMIN.authorization()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<html");
    }

    @Test
    void aPrincipalOutsideARolesAclCannotSubscribeInIt() throws Exception {
        HttpResponse<String> denied = subscribe(SPARK, "etl", null);
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(denied.body()).contains("principal 'spark' lacks permission register_frameworks in role 'etl'");
        HttpResponse<String> admin = subscribe(ADMIN, "analytics", null);
        assertThat(admin.statusCode()).isEqualTo(403);
        assertThat(admin.body()).contains("principal 'admin' lacks permission register_frameworks in role 'analytics'");
        HttpResponse<String> asRoot = subscribe(SPARK, "analytics", "root");
        assertThat(asRoot.statusCode()).isEqualTo(403);
        assertThat(asRoot.body()).contains("run_tasks as user 'root'");
        HttpResponse<String> claimsOther = subscribe(SPARK, "analytics", null, "admin");
        assertThat(claimsOther.statusCode()).isEqualTo(403);
        assertThat(claimsOther.body()).contains("framework.principal: 'admin' is not the authenticated principal 'spark'");

        // Each denial is audited with the authenticated principal, the 403 and the missing permission.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode events = Json.mapper().readTree(HTTP.send(get("/api/v1/events/recent?type=audit.framework.subscribe")
                    .header("Authorization", ADMIN.authorization()).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertThat(events.toString()).contains("register_frameworks in role 'etl'")
                    .contains("\"principal\":\"spark\"").contains("\"status\":403")
                    .contains("\"principal\":\"admin\"");
        });
    }

    @Test
    void aPrincipalInTheRolesAclSubscribesAsItself() throws Exception {
        try (Subscribed fw = subscribeSpark()) {
            JsonNode frameworks = Json.mapper().readTree(HTTP.send(get("/api/v1/frameworks")
                    .header("Authorization", ADMIN.authorization()).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertThat(frameworks.toString()).contains("\"id\":\"" + fw.id + "\"").contains("\"principal\":\"spark\"");

            // Its sandboxes are readable by who view_sandboxes names for its principal, and by no one else.
            HttpResponse<String> sandbox = HTTP.send(get("/api/v1/agents/a1/files/read?task=t1&path=stdout&framework="
                    + fw.id).header("Authorization", SPARK.authorization()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(sandbox.statusCode()).isEqualTo(403);
            assertThat(sandbox.body()).contains("lacks permission view_sandboxes of frameworks of principal 'spark'");
            HttpResponse<String> admin = HTTP.send(get("/api/v1/agents/a1/files/read?task=t1&path=stdout&framework="
                    + fw.id).header("Authorization", ADMIN.authorization()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(admin.statusCode()).as("allowed, then the agent is unknown").isEqualTo(404);
        }
    }

    /** An open framework stream of principal spark, in role analytics. */
    private record Subscribed(String id, InputStream stream) implements AutoCloseable {
        @Override
        public void close() throws java.io.IOException {
            stream.close();
        }
    }

    private Subscribed subscribeSpark() throws Exception {
        HttpRequest request = post("/api/v1/scheduler", subscribeBody("analytics", "nobody", null))
                .header("Accept", "text/event-stream").header("Authorization", SPARK.authorization()).build();
        HttpResponse<InputStream> r = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        InputStream in = r.body();
        StringBuilder seen = new StringBuilder();
        java.util.regex.Matcher m = null;
        int c;
        while ((c = in.read()) >= 0) {
            seen.append((char) c);
            if (c == '\n') {
                m = java.util.regex.Pattern.compile("\"frameworkId\":\"([^\"]+)\"").matcher(seen);
                if (m.find()) {
                    return new Subscribed(m.group(1), in);
                }
            }
        }
        in.close();
        throw new AssertionError("no SUBSCRIBED: " + seen);
    }

    @Test
    void operatorCallsNeedTheirPermission() throws Exception {
        String weights = "{\"type\":\"UPDATE_WEIGHTS\",\"weights\":{\"analytics\":2}}";
        HttpResponse<String> spark = HTTP.send(post("/api/v1/operator", weights)
                .header("Authorization", SPARK.authorization()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(spark.statusCode()).isEqualTo(403);
        assertThat(spark.body()).contains("principal 'spark' lacks permission update_weights of role 'analytics'");
        HttpResponse<String> admin = HTTP.send(post("/api/v1/operator", weights)
                .header("Authorization", ADMIN.authorization()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(admin.statusCode()).isEqualTo(202);

        HttpResponse<String> teardown = HTTP.send(post("/api/v1/operator", "{\"type\":\"TEARDOWN\",\"frameworkId\":\"f1\"}")
                .header("Authorization", SPARK.authorization()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(teardown.statusCode()).isEqualTo(403);
        assertThat(teardown.body()).contains("teardown_frameworks");

        HttpResponse<String> agent = HTTP.send(post("/api/v1/agent", "{\"type\":\"SUBSCRIBE\",\"agent\":"
                        + "{\"hostname\":\"h\",\"port\":1,\"resources\":{\"cpus\":1}}}")
                .header("Accept", "text/event-stream").header("Authorization", SPARK.authorization()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(agent.statusCode()).isEqualTo(403);
        assertThat(agent.body()).contains("register_agents");

        HttpResponse<String> driver = HTTP.send(post("/v1/submissions/create", "{\"action\":\"CreateSubmissionRequest\","
                        + "\"appResource\":\"file:/x.jar\",\"mainClass\":\"X\",\"appArgs\":[],\"clientSparkVersion\":\"4.2.0\","
                        + "\"environmentVariables\":{},\"sparkProperties\":{\"spark.tower.role\":\"etl\"}}")
                .header("Authorization", SPARK.authorization()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(driver.statusCode()).isEqualTo(403);
        assertThat(driver.body()).contains("submit_drivers in role 'etl'");
    }

    private HttpResponse<String> subscribe(Credential who, String role, String user) throws Exception {
        return subscribe(who, role, user, null);
    }

    private HttpResponse<String> subscribe(Credential who, String role, String user, String principal) throws Exception {
        return HTTP.send(post("/api/v1/scheduler", subscribeBody(role, user, principal))
                .header("Accept", "text/event-stream").header("Authorization", who.authorization()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String subscribeBody(String role, String user, String principal) {
        return "{\"type\":\"SUBSCRIBE\",\"framework\":{\"name\":\"fw\",\"role\":\"" + role + "\""
                + (user == null ? "" : ",\"user\":\"" + user + "\"")
                + (principal == null ? "" : ",\"principal\":\"" + principal + "\"") + "}}";
    }

    private HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(master.uri(path)).timeout(Duration.ofSeconds(10));
    }

    private HttpRequest.Builder post(String path, String body) {
        return HttpRequest.newBuilder(master.uri(path)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    }
}
