package dev.tower.manager;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.agent.AgentCall;
import dev.tower.api.agent.AgentEvent;
import dev.tower.api.codec.Json;
import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.operator.OperatorCall;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.api.scheduler.SchedulerEvent;
import dev.tower.api.sse.SseReader;
import dev.tower.manager.core.MasterConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /api/v1/events} on a real master in this JVM, driven over HTTP by a hand-played agent and framework:
 * the core's events arrive in order, and the audit records of the calls that change the cluster carry who, from
 * where, and how the call ended.
 */
class EventsStreamTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path workDir;
    private Master master;
    private final List<InputStream> open = new ArrayList<>();

    @BeforeEach
    void start() {
        master = Master.start(MasterOptions.defaults(workDir).withHosts("127.0.0.1", "127.0.0.1").withPort(0)
                .withCore(MasterConfig.defaults().withHeartbeat(Duration.ofMillis(300), Duration.ofSeconds(20))));
    }

    @AfterEach
    void stop() {
        for (InputStream in : open) {
            try {
                in.close();
            } catch (Exception ignored) {
                // gone
            }
        }
        master.close();
    }

    // ==== HTTP ====================================================================================================

    /** One SSE event with its {@code id:} (which {@link SseReader} does not keep). */
    record Sse(String id, String name, String data) {
        JsonNode json() throws Exception {
            return Json.mapper().readTree(data);
        }
    }

    /** An open SSE response; a thread reads it into a queue. */
    final class Stream {
        final BlockingQueue<Sse> events = new LinkedBlockingQueue<>();
        volatile boolean ended;

        Stream(HttpRequest request) throws Exception {
            HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                    t -> assertThat(t).startsWith("text/event-stream"));
            open.add(r.body());
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                    String id = null;
                    String name = null;
                    StringBuilder data = null;
                    String line;
                    while ((line = in.readLine()) != null) {
                        if (line.isEmpty()) {
                            if (data != null) {
                                events.add(new Sse(id, name, data.toString()));
                            }
                            id = null;
                            name = null;
                            data = null;
                        } else if (line.startsWith("id:")) {
                            id = line.substring(3).trim();
                        } else if (line.startsWith("event:")) {
                            name = line.substring(6).trim();
                        } else if (line.startsWith("data:")) {
                            String d = line.substring(5).trim();
                            data = data == null ? new StringBuilder(d) : data.append('\n').append(d);
                        }
                    }
                } catch (Exception ignored) {
                    // closed
                } finally {
                    ended = true;
                }
            }, "test-sse-reader");
            reader.setDaemon(true);
            reader.start();
        }

        /** The next event that is not a HEARTBEAT. */
        Sse next() throws Exception {
            Sse e;
            do {
                e = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(e).as("an event within " + WAIT).isNotNull();
            } while ("HEARTBEAT".equals(e.name()));
            return e;
        }

        <T> T next(Class<T> type) throws Exception {
            return Json.read(next().data(), type);
        }

        /** Reads events (heartbeats included) until one matches; returns all of them, the match last. */
        List<Sse> until(Predicate<Sse> last) throws Exception {
            List<Sse> seen = new ArrayList<>();
            while (true) {
                Sse e = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(e).as("an event within " + WAIT + "; so far " + seen).isNotNull();
                seen.add(e);
                if (last.test(e)) {
                    return seen;
                }
            }
        }
    }

    private URI uri(String pathAndQuery) {
        return URI.create("http://" + master.address() + pathAndQuery);
    }

    private Stream events(String query) throws Exception {
        Stream s = new Stream(HttpRequest.newBuilder(uri("/api/v1/events" + query)).header("Accept", "text/event-stream")
                .GET().build());
        Sse subscribed = s.next();
        assertThat(subscribed.name()).isEqualTo("SUBSCRIBED");
        assertThat(subscribed.json().get("masterId").asText()).isEqualTo(master.masterId());
        return s;
    }

    private Stream subscribe(String path, Object call) throws Exception {
        return new Stream(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .header("Accept", "text/event-stream").POST(HttpRequest.BodyPublishers.ofString(Json.write(call))).build());
    }

    private HttpResponse<String> post(String path, String streamId, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(WAIT).header("Content-Type", "application/json");
        if (streamId != null) {
            b.header("Tower-Stream-Id", streamId);
        }
        return http.send(b.POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String streamId, Object call) throws Exception {
        return post(path, streamId, Json.write(call));
    }

    private static Predicate<Sse> named(String type) {
        return e -> type.equals(e.name());
    }

    private static List<Sse> named(List<Sse> events, String type) {
        return events.stream().filter(named(type)).toList();
    }

    // ==== tests ===================================================================================================

    @Test
    void aFrameworkAndATaskLifecycleArriveInOrderAndLaunchKillAndRejectedCallsAreAudited() throws Exception {
        Stream events = events("");

        Stream agent = subscribe("/api/v1/agent", new AgentCall.Subscribe(
                new AgentInfo(null, "host1", 5051, Resources.cpusMem(4, 4096), Map.of()), List.of()));
        AgentEvent.Subscribed agentSub = agent.next(AgentEvent.Subscribed.class);
        Stream fw = subscribe("/api/v1/scheduler", new SchedulerCall.Subscribe(
                new FrameworkInfo(null, "events-fw", "*", "claimed-p", "nobody", "h", 60.0, List.of())));
        SchedulerEvent.Subscribed fwSub = fw.next(SchedulerEvent.Subscribed.class);
        String fwId = fwSub.frameworkId();
        String offerId = fw.next(SchedulerEvent.Offers.class).offers().get(0).id();

        TaskInfo task = TaskInfo.of("t1", Resources.cpusMem(1, 64), CommandInfo.shell("sleep 100"));
        assertThat(post("/api/v1/scheduler", fwSub.streamId(),
                SchedulerCall.Accept.launch(fwId, List.of(offerId), List.of(task), null)).statusCode()).isEqualTo(202);
        agent.next(AgentEvent.RunTask.class);
        assertThat(post("/api/v1/agent", agentSub.streamId(), new AgentCall.Update(agentSub.agentId(), new TaskStatus(
                "t1", fwId, agentSub.agentId(), TaskState.RUNNING, null, null, null, "u1", TaskStatus.Source.AGENT,
                0))).statusCode()).isEqualTo(202);
        assertThat(post("/api/v1/scheduler", fwSub.streamId(), new SchedulerCall.Kill(fwId, "t1", null))
                .statusCode()).isEqualTo(202);
        agent.next(AgentEvent.KillTask.class);
        assertThat(post("/api/v1/agent", agentSub.streamId(), new AgentCall.Update(agentSub.agentId(), new TaskStatus(
                "t1", fwId, agentSub.agentId(), TaskState.KILLED, null, null, null, "u2", TaskStatus.Source.AGENT,
                0))).statusCode()).isEqualTo(202);
        HttpResponse<String> rejected = post("/api/v1/scheduler", fwSub.streamId(),
                SchedulerCall.Accept.launch(fwId, List.of("no-such-offer"), List.of(task), null));
        assertThat(rejected.statusCode()).isEqualTo(400);

        // The rejected ACCEPT came last: its audit record follows everything the earlier calls caused. (Audit records
        // are published as calls are answered, so not necessarily before the core's events the call caused.)
        List<Sse> all = events.until(e -> "audit.task.launch".equals(e.name()) && e.data().contains("rejected"));
        List<String> lifecycle = all.stream().map(Sse::name)
                .filter(n -> List.of("agent.added", "framework.subscribed", "offer.accepted", "task.launched",
                        "task.status", "task.kill_requested").contains(n)).toList();
        assertThat(lifecycle).containsExactly("agent.added", "framework.subscribed", "offer.accepted",
                "task.launched", "task.status", "task.kill_requested", "task.status");
        assertThat(all).filteredOn(named("master.elected")).isEmpty(); // before this stream opened

        // Every event: SSE id = the event's id, SSE event = its type; the JSON has them all.
        for (Sse e : all) {
            if (e.name().equals("HEARTBEAT")) {
                continue;
            }
            JsonNode j = e.json();
            assertThat(e.id()).isNotBlank().isEqualTo(j.get("id").asText()).startsWith(master.masterId() + "-");
            assertThat(j.get("type").asText()).isEqualTo(e.name());
            assertThat(j.get("subject").asText()).isNotBlank();
            assertThat(j.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
            assertThat(j.has("audit")).as("only the envelope's fields").isFalse();
            assertThat(j.get("summary").asText()).isNotBlank();
            assertThat(j.get("data").isObject()).isTrue();
        }
        assertThat(all.stream().map(Sse::id).filter(java.util.Objects::nonNull).distinct().count())
                .isEqualTo(all.stream().filter(e -> e.id() != null).count());

        JsonNode status = named(all, "task.status").get(0).json();
        assertThat(status.get("subject").asText()).isEqualTo(fwId + "/t1");
        assertThat(status.at("/data/state").asText()).isEqualTo("RUNNING");
        assertThat(status.at("/data/previousState").asText()).isEqualTo("STAGING");
        assertThat(status.at("/data/agentId").asText()).isEqualTo(agentSub.agentId());
        assertThat(status.at("/data/reportedAt").isIntegralNumber()).isTrue();

        String source = "127\\.0\\.0\\.1:\\d+";
        JsonNode subscribeAudit = named(all, "audit.framework.subscribe").get(0).json();
        assertThat(subscribeAudit.get("subject").asText()).isEqualTo(fwId);
        assertThat(subscribeAudit.at("/data/principal").asText()).isEqualTo("anonymous");
        assertThat(subscribeAudit.at("/data/claimedPrincipal").asText()).isEqualTo("claimed-p");
        assertThat(subscribeAudit.at("/data/outcome").asText()).isEqualTo("accepted");
        assertThat(subscribeAudit.at("/data/source").asText()).matches(source);
        JsonNode agentAudit = named(all, "audit.agent.subscribe").get(0).json();
        assertThat(agentAudit.get("subject").asText()).isEqualTo(agentSub.agentId());
        assertThat(agentAudit.at("/data/hostname").asText()).isEqualTo("host1");

        List<Sse> launches = named(all, "audit.task.launch");
        assertThat(launches).hasSize(2);
        JsonNode launch = launches.get(0).json();
        assertThat(launch.get("subject").asText()).isEqualTo(fwId);
        assertThat(launch.at("/data/principal").asText()).isEqualTo("anonymous");
        assertThat(launch.at("/data/source").asText()).matches(source);
        assertThat(launch.at("/data/api").asText()).isEqualTo("scheduler");
        assertThat(launch.at("/data/call").asText()).isEqualTo("ACCEPT");
        assertThat(launch.at("/data/outcome").asText()).isEqualTo("accepted");
        assertThat(launch.at("/data/status").asInt()).isEqualTo(202);
        assertThat(launch.at("/data/taskIds").toString()).isEqualTo("[\"t1\"]");
        assertThat(launch.at("/data/offerIds").toString()).isEqualTo("[\"" + offerId + "\"]");
        JsonNode refused = launches.get(1).json();
        assertThat(refused.at("/data/outcome").asText()).isEqualTo("rejected");
        assertThat(refused.at("/data/status").asInt()).isEqualTo(400);
        assertThat(refused.at("/data/error").asText()).contains("offerIds: unknown offer 'no-such-offer'");
        assertThat(refused.at("/data/source").asText()).matches(source);

        JsonNode kill = named(all, "audit.task.kill").get(0).json();
        assertThat(kill.get("subject").asText()).isEqualTo(fwId + "/t1");
        assertThat(kill.at("/data/outcome").asText()).isEqualTo("accepted");
        assertThat(kill.at("/data/taskId").asText()).isEqualTo("t1");

        // Routine calls are not audited.
        assertThat(all).noneMatch(e -> e.name().startsWith("audit.") && e.data().contains("\"UPDATE\""));
    }

    @Test
    void filtersByTypePrefixAndSubjectAndAuditsOperatorCallsAndUndecodableOnes() throws Exception {
        Stream audits = events("?type=audit");
        Stream weights = events("?subject=weights");
        Stream two = events("?type=weights.,audit.call");

        assertThat(post("/api/v1/operator", null, new OperatorCall.UpdateWeights(Map.of("etl", 3.0))).statusCode())
                .isEqualTo(202);
        HttpResponse<String> bad = post("/api/v1/operator", null, new OperatorCall.UpdateWeights(Map.of("etl", -1.0)));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(post("/api/v1/operator", null, "{\"type\":").statusCode()).isEqualTo(400);
        assertThat(post("/api/v1/scheduler", "no-stream", "{\"type\":\"KILL\",\"frameworkId\":\"fw-9\",\"taskId\":{\"x\":1}}")
                .statusCode()).isEqualTo(400);
        assertThat(post("/api/v1/scheduler", "no-stream", new SchedulerCall.Kill("fw-9", "t9", null)).statusCode())
                .isEqualTo(400);

        Sse accepted = audits.next();
        assertThat(accepted.name()).isEqualTo("audit.weights.update");
        assertThat(accepted.json().get("subject").asText()).isEqualTo("weights");
        assertThat(accepted.json().at("/data/weights/etl").asDouble()).isEqualTo(3.0);
        assertThat(accepted.json().at("/data/outcome").asText()).isEqualTo("accepted");
        assertThat(accepted.json().at("/data/api").asText()).isEqualTo("operator");
        Sse rejected = audits.next();
        assertThat(rejected.name()).isEqualTo("audit.weights.update");
        assertThat(rejected.json().at("/data/outcome").asText()).isEqualTo("rejected");
        assertThat(rejected.json().at("/data/status").asInt()).isEqualTo(400);
        assertThat(rejected.json().at("/data/error").asText()).contains("weights.etl: must be a number > 0");
        Sse malformed = audits.next();
        assertThat(malformed.name()).isEqualTo("audit.call.malformed");
        assertThat(malformed.json().get("subject").asText()).isEqualTo("unknown");
        assertThat(malformed.json().at("/data/error").asText()).contains("malformed JSON");
        assertThat(malformed.json().at("/data/source").asText()).matches("127\\.0\\.0\\.1:\\d+");
        Sse badKill = audits.next(); // readable enough to say what it was
        assertThat(badKill.name()).isEqualTo("audit.task.kill");
        assertThat(badKill.json().get("subject").asText()).isEqualTo("fw-9");
        assertThat(badKill.json().at("/data/outcome").asText()).isEqualTo("rejected");
        Sse unknownStream = audits.next();
        assertThat(unknownStream.name()).isEqualTo("audit.task.kill");
        assertThat(unknownStream.json().get("subject").asText()).isEqualTo("fw-9/t9");
        assertThat(unknownStream.json().at("/data/error").asText()).contains("Tower-Stream-Id");

        assertThat(List.of(weights.next().name(), weights.next().name(), weights.next().name()))
                .containsExactlyInAnyOrder("audit.weights.update", "weights.updated", "audit.weights.update");

        assertThat(two.next().name()).isEqualTo("weights.updated");
        assertThat(two.next().name()).isEqualTo("audit.call.malformed");
        // Heartbeats keep quiet streams alive.
        assertThat(two.until(named("HEARTBEAT"))).last().satisfies(h -> assertThat(h.id()).isNull());
    }

    @Test
    void sparkSubmissionsAndTheirKillsAreAudited() throws Exception {
        Stream audits = events("?type=audit.driver");
        assertThat(post("/v1/submissions/create", null, "{\"action\":\"CreateSubmissionRequest\"}").statusCode())
                .isEqualTo(400);
        HttpResponse<String> created = post("/v1/submissions/create", null, "{\"action\":\"CreateSubmissionRequest\","
                + "\"appResource\":\"file:/tmp/app.jar\",\"mainClass\":\"example.Main\",\"appArgs\":[],"
                + "\"sparkProperties\":{\"spark.tower.executor.home\":\"/opt/spark\"},\"environmentVariables\":{},"
                + "\"clientSparkVersion\":\"4.2.0\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        String id = Json.mapper().readTree(created.body()).path("submissionId").asText();
        assertThat(post("/v1/submissions/kill/" + id, null, "").statusCode()).isEqualTo(200);

        Sse refused = audits.next();
        assertThat(refused.name()).isEqualTo("audit.driver.submit");
        assertThat(refused.json().at("/data/outcome").asText()).isEqualTo("rejected");
        assertThat(refused.json().at("/data/status").asInt()).isEqualTo(400);
        assertThat(refused.json().at("/data/error").asText()).contains("appResource");
        assertThat(refused.json().at("/data/api").asText()).isEqualTo("spark-rest");
        Sse submitted = audits.next();
        assertThat(submitted.name()).isEqualTo("audit.driver.submit");
        assertThat(submitted.json().get("subject").asText()).isEqualTo(id);
        assertThat(submitted.json().at("/data/outcome").asText()).isEqualTo("accepted");
        assertThat(submitted.json().at("/data/mainClass").asText()).isEqualTo("example.Main");
        assertThat(submitted.json().at("/data/principal").asText()).isEqualTo("anonymous");
        assertThat(submitted.json().at("/data/source").asText()).matches("127\\.0\\.0\\.1:\\d+");
        Sse killed = audits.next();
        assertThat(killed.name()).isEqualTo("audit.driver.kill");
        assertThat(killed.json().get("subject").asText()).isEqualTo(id);
        assertThat(killed.json().at("/data/outcome").asText()).isEqualTo("accepted");
    }

    @Test
    void aBadFilterIsRefusedNamingTheParameter() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/api/v1/events?type=task%20status"))
                .header("Accept", "text/event-stream").timeout(WAIT).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("type: 'task status' is not an event type");
    }

    @Test
    void streamsEndWithAReasonWhenTheMasterStops() throws Exception {
        Stream events = events("?type=master");

        master.close();

        assertThat(events.next().name()).isEqualTo("master.deposed");
        Sse error = events.next();
        assertThat(error.name()).isEqualTo("ERROR");
        assertThat(error.json().get("message").asText()).contains("stopped leading").contains("reconnect");
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> events.ended);
    }
}
