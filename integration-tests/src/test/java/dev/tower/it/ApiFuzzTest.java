package dev.tower.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random and mutated requests to every endpoint of a real master and agent: valid calls with fields dropped, retyped
 * or replaced, truncated and random JSON, huge and deeply nested bodies, unknown ids and odd query values. Nothing may
 * answer 5xx, and both processes keep serving. The run is seeded (printed) and bounded.
 */
@ExtendWith(LogsOnFailure.class)
class ApiFuzzTest {
    private static final int REQUESTS = 10_000;
    private static Cluster cluster;
    private static RawSubscription framework;
    private static String agentAddress;
    private static String agentId;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.start("fuzz", 1, "30s");
        framework = RawSubscription.open(cluster, "fuzz");
        cluster.cliAsync("run", "-m", cluster.master(), "--name", "fuzz-task", "--cpus", "0.1", "--mem", "16",
                "--", "sh", "-c", "echo fuzz; sleep 600");
        var agent = cluster.agents().get(0);
        agentId = agent.id();
        agentAddress = agent.hostname() + ":" + agent.port();
    }

    @AfterAll
    static void stop() throws Exception {
        if (framework != null) {
            framework.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A call and where it goes. */
    private record Call(String method, String target, String path, String body, Map<String, String> headers) {
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void noRequestIsAnsweredWith5xxAndBothProcessesKeepServing() throws Exception {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        System.out.println("ApiFuzzTest seed " + seed + " (rerun with -Dfuzz.seed=" + seed + ")");
        Random random = new Random(seed);
        Mutator mutator = new Mutator(random);
        Map<String, Integer> statuses = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        int sent = 0;
        for (Call c : fixedCases()) {
            check(c, statuses, failures);
            sent++;
        }
        for (int i = 0; i < REQUESTS; i++) {
            check(randomCall(random, mutator), statuses, failures);
            sent++;
        }
        System.out.println("ApiFuzzTest: " + sent + " requests, by status " + statuses);

        assertThat(failures).as("requests answered 5xx or not at all (seed %d)", seed).isEmpty();
        assertThat(cluster.masterProcess().process().isAlive()).isTrue();
        assertThat(cluster.getOk("/health")).contains("\"role\":\"leader\"");
        assertThat(get(agentAddress, "/health").statusCode()).isEqualTo(200);
        assertThat(cluster.agents()).allMatch(a -> a.state().equals("ACTIVE"));
    }

    private void check(Call c, Map<String, Integer> statuses, List<String> failures) {
        String where = c.method() + " " + c.path() + (c.body() == null ? ""
                : " body " + abbreviate(c.body()));
        try {
            int status = send(c);
            statuses.merge(status / 100 + "xx", 1, Integer::sum);
            if (status >= 500 && failures.size() < 20) {
                failures.add(status + " for " + where);
            }
        } catch (IOException e) {
            if (failures.size() < 20) {
                failures.add("no answer (" + e + ") for " + where);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private int send(Call c) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + c.target() + c.path()))
                .timeout(Duration.ofSeconds(20));
        c.headers().forEach(b::header);
        b.method(c.method(), c.body() == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(c.body()));
        // Streams that do open (a SUBSCRIBE that happens to be valid, the events stream) are closed at the headers.
        HttpResponse<java.io.InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        try (var in = r.body()) {
            if (!r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
                in.readAllBytes();
            }
        }
        return r.statusCode();
    }

    private HttpResponse<String> get(String target, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + target + path)).timeout(Duration.ofSeconds(10))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "… (" + s.length() + " chars)";
    }

    // ---- what is sent ----

    private List<Call> fixedCases() {
        String master = cluster.master();
        String deep = "[".repeat(200_000) + "]".repeat(200_000);
        String deepObject = "{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000);
        String huge = "{\"type\":\"DECLINE\",\"frameworkId\":\"" + "x".repeat(20_000_000) + "\"}";
        List<Call> out = new ArrayList<>();
        for (String path : List.of("/api/v1/scheduler", "/api/v1/agent", "/api/v1/operator", "/v1/submissions/create")) {
            for (String body : List.of(deep, deepObject, huge, "", "null", "\u0000\u0001", "{\"type\":\"SUBSCRIBE\"}")) {
                out.add(new Call("POST", master, path, body, json(framework.streamId())));
                out.add(new Call("POST", master, path, body, Map.of("Accept", "text/event-stream",
                        "Content-Type", "application/json")));
            }
        }
        return out;
    }

    private static final String[] GETS = {"/health", "/metrics", "/api/v1/state", "/api/v1/agents", "/api/v1/frameworks",
            "/api/v1/roles", "/api/v1/tasks", "/api/v1/tasks/{id}", "/api/v1/submissions", "/api/v1/submissions/{id}",
            "/api/v1/whynot", "/api/v1/summary", "/api/v1/history", "/api/v1/events/recent", "/api/v1/events",
            "/api/v1/agents/{agent}/files/read", "/api/v1/agents/{agent}/files/browse", "/v1/submissions/status/{id}",
            "/", "/tasks/{id}", "/ui/{id}"};
    private static final String[] PARAMS = {"completed", "state", "framework", "agent", "q", "limit", "offset", "order",
            "type", "subject", "task", "path", "length"};
    private static final String[] AGENT_GETS = {"/files/read", "/files/browse", "/api/v1/state", "/health", "/metrics"};

    private Call randomCall(Random random, Mutator m) {
        String master = cluster.master();
        switch (random.nextInt(10)) {
            case 0, 1, 2 -> {
                String path = GETS[random.nextInt(GETS.length)].replace("{id}", segment(m.id())).replace("{agent}",
                        random.nextBoolean() ? agentId : segment(m.id()));
                return new Call(random.nextInt(8) == 0 ? "DELETE" : "GET", master, path + query(random, m),
                        null, random.nextBoolean() ? Map.of("Accept", "text/html") : Map.of());
            }
            case 3 -> {
                return new Call("GET", agentAddress, AGENT_GETS[random.nextInt(AGENT_GETS.length)] + query(random, m),
                        null, Map.of());
            }
            case 4, 5 -> {
                return new Call("POST", master, "/api/v1/scheduler", m.mutate(m.schedulerCall(framework.frameworkId())),
                        json(random.nextInt(4) == 0 ? m.id() : framework.streamId()));
            }
            case 6 -> {
                return new Call("POST", master, "/api/v1/agent", m.mutate(m.agentCall(agentId)), json(m.id()));
            }
            case 7 -> {
                return new Call("POST", master, "/api/v1/operator", m.mutate(m.operatorCall(agentId)), json(null));
            }
            case 8 -> {
                String path = random.nextBoolean() ? "/v1/submissions/create" : "/v1/submissions/kill/" + segment(m.id());
                return new Call("POST", master, path, m.mutate(m.sparkSubmission()), json(null));
            }
            default -> {
                return new Call("PUT", master, GETS[random.nextInt(GETS.length)].replace("{id}", "x")
                        .replace("{agent}", agentId), m.randomJson(3), json(null));
            }
        }
    }

    private static Map<String, String> json(String streamId) {
        // Only what HTTP allows in a header value reaches the master.
        return streamId == null ? Map.of("Content-Type", "application/json")
                : Map.of("Content-Type", "application/json", "Tower-Stream-Id", streamId.replaceAll("[^\\x21-\\x7e]", "_"));
    }

    private static String segment(String id) {
        return URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String query(Random random, Mutator m) {
        StringBuilder q = new StringBuilder();
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
            q.append(i == 0 ? '?' : '&').append(PARAMS[random.nextInt(PARAMS.length)]).append('=')
                    .append(URLEncoder.encode(m.scalarText(), StandardCharsets.UTF_8));
        }
        return q.toString();
    }
}
