package dev.tower.manager;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.agent.AgentCall;
import dev.tower.api.agent.AgentEvent;
import dev.tower.api.codec.Json;
import dev.tower.api.detect.ZooKeeperUrl;
import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.operator.AgentView;
import dev.tower.api.operator.FrameworkView;
import dev.tower.api.operator.OperatorCall;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.api.scheduler.SchedulerEvent;
import dev.tower.api.sse.SseReader;
import dev.tower.manager.core.MasterConfig;
import dev.tower.manager.ha.Sessions;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Several masters in one JVM electing their leader through one ZooKeeper server: who leads, what standbys answer,
 * and what happens to the leadership, the registry and the streams when a leader goes or is deposed.
 */
class HighAvailabilityTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static TestingServer zk;
    private static CuratorFramework admin;
    private static final AtomicInteger roots = new AtomicInteger();
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path workDir;
    private ZooKeeperUrl url;
    private final List<Master> masters = new ArrayList<>();
    private final List<Stream> streams = new ArrayList<>();

    @BeforeAll
    static void startZooKeeper() throws Exception {
        zk = new TestingServer(true);
        admin = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100));
        admin.start();
        admin.blockUntilConnected(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stopZooKeeper() throws Exception {
        if (admin != null) {
            admin.close();
        }
        if (zk != null) {
            zk.close();
        }
    }

    @BeforeEach
    void root() {
        url = ZooKeeperUrl.parse("zk://" + zk.getConnectString() + "/ha-test-" + roots.incrementAndGet());
    }

    @AfterEach
    void stopAll() {
        streams.forEach(Stream::close);
        masters.forEach(Master::close);
    }

    private Master start(ZooKeeperUrl at) {
        MasterOptions options = MasterOptions.defaults(workDir).withHosts("127.0.0.1", "127.0.0.1").withPort(0)
                .withCore(MasterConfig.defaults().withAgentReregisterTimeout(Duration.ofSeconds(30)));
        Master m = Master.start(at == null ? options : options.withZooKeeper(at, Duration.ofSeconds(10)));
        masters.add(m);
        return m;
    }

    private List<Master> startMasters(int n) {
        List<Master> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(start(url));
        }
        return out;
    }

    /** Waits until exactly one of {@code among} leads and every other one knows where it is. */
    private static Master awaitLeader(List<Master> among) {
        await().atMost(WAIT).until(() -> {
            List<Master> leaders = among.stream().filter(Master::isLeader).toList();
            return leaders.size() == 1 && among.stream().allMatch(m ->
                    m.leaderAddress().equals(java.util.Optional.of(leaders.get(0).address())));
        });
        return among.stream().filter(Master::isLeader).findFirst().orElseThrow();
    }

    // ==== HTTP ====================================================================================================

    private static HttpResponse<String> get(Master m, String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + m.address() + pathAndQuery))
                .timeout(WAIT).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(Master m, String path, Object body, String accept) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + m.address() + path)).timeout(WAIT)
                .header("Content-Type", "application/json").header("Accept", accept)
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body))).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return json(r.body());
    }

    private static JsonNode json(String body) throws Exception {
        return Json.mapper().readTree(body);
    }

    /** An open event stream; a thread reads its events into a queue. */
    private final class Stream implements AutoCloseable {
        final BlockingQueue<SseReader.Event> events = new LinkedBlockingQueue<>();
        volatile boolean ended;
        private final InputStream body;

        Stream(Master m, String path, Object subscribe) throws Exception {
            this(HttpRequest.newBuilder(URI.create("http://" + m.address() + path))
                    .header("Content-Type", "application/json").header("Accept", "text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofString(Json.write(subscribe))).build());
        }

        /** {@code GET /api/v1/events?QUERY} */
        Stream(Master m, String eventsQuery) throws Exception {
            this(HttpRequest.newBuilder(URI.create("http://" + m.address() + "/api/v1/events" + eventsQuery))
                    .header("Accept", "text/event-stream").GET().build());
        }

        Stream(HttpRequest request) throws Exception {
            HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).isEqualTo(200);
            body = r.body();
            streams.add(this);
            Thread reader = new Thread(() -> {
                try (SseReader sse = new SseReader(body)) {
                    SseReader.Event e;
                    while ((e = sse.next()) != null) {
                        events.add(e);
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

        <T> T next(Class<T> type) throws Exception {
            return Json.read(next().data(), type);
        }

        SseReader.Event next() throws Exception {
            SseReader.Event e;
            do {
                e = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(e).as("an event within " + WAIT).isNotNull();
            } while (e.name().equals("HEARTBEAT"));
            return e;
        }

        @Override
        public void close() {
            try {
                body.close();
            } catch (Exception ignored) {
                // gone
            }
        }
    }

    private Stream subscribeAgent(Master m, String id) throws Exception {
        AgentInfo info = new AgentInfo(id, "host1", 5051, Resources.cpusMem(4, 4096), Map.of());
        return new Stream(m, "/api/v1/agent", new AgentCall.Subscribe(info, List.of()));
    }

    private static FrameworkInfo frameworkInfo(String id) {
        return new FrameworkInfo(id, "ha-fw", "*", "p", "u", "h", 3600.0, List.of());
    }

    private Stream subscribeFramework(Master m, String id) throws Exception {
        return new Stream(m, "/api/v1/scheduler", new SchedulerCall.Subscribe(frameworkInfo(id)));
    }

    // ==== tests ===================================================================================================

    @Test
    void exactlyOneOfThreeLeadsAndTheStandbysSendEveryCallToIt() throws Exception {
        List<Master> three = startMasters(3);
        Master leader = awaitLeader(three);

        assertThat(leader.epoch()).isGreaterThanOrEqualTo(0);
        assertThat(get(leader, "/api/v1/state").statusCode()).isEqualTo(200);
        for (Master standby : three) {
            if (standby == leader) {
                continue;
            }
            assertThat(standby.epoch()).isEqualTo(-1);
            HttpResponse<String> state = get(standby, "/api/v1/state?completed=5");
            assertThat(state.statusCode()).isEqualTo(307);
            assertThat(state.headers().firstValue("Location"))
                    .contains("http://" + leader.address() + "/api/v1/state?completed=5");

            HttpResponse<String> call = post(standby, "/api/v1/scheduler",
                    new SchedulerCall.Decline("fw-1", List.of("o-1"), null), "application/json");
            assertThat(call.statusCode()).isEqualTo(307);
            assertThat(call.headers().firstValue("Location")).contains("http://" + leader.address() + "/api/v1/scheduler");

            HttpResponse<String> subscribe = post(standby, "/api/v1/agent", new AgentCall.Subscribe(
                    new AgentInfo(null, "h", 5051, Resources.cpusMem(1, 1), Map.of()), List.of()), "text/event-stream");
            assertThat(subscribe.statusCode()).isEqualTo(307);
            assertThat(subscribe.headers().firstValue("Location")).contains("http://" + leader.address() + "/api/v1/agent");

            HttpResponse<String> operator = post(standby, "/api/v1/operator",
                    new OperatorCall.UpdateWeights(Map.of("etl", 2.0)), "application/json");
            assertThat(operator.statusCode()).isEqualTo(307);

            HttpResponse<String> events = get(standby, "/api/v1/events?type=task");
            assertThat(events.statusCode()).isEqualTo(307);
            assertThat(events.headers().firstValue("Location"))
                    .contains("http://" + leader.address() + "/api/v1/events?type=task");

            JsonNode health = json(get(standby, "/health"));
            assertThat(health.get("status").asText()).isEqualTo("ok");
            assertThat(health.get("role").asText()).isEqualTo("standby");
            assertThat(health.get("leader").asText()).isEqualTo(leader.address());
            assertThat(health.get("epoch").asLong()).isEqualTo(leader.epoch());
            assertThat(health.get("masterId").asText()).isEqualTo(standby.masterId());
            assertThat(health.get("zookeeper").asText()).isEqualTo("CONNECTED");

            // A browser opening a standby's web UI page is sent to the same page on the leader.
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(
                    URI.create("http://" + standby.address() + "/tasks?state=RUNNING")).timeout(WAIT)
                    .header("Accept", "text/html").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(307);
            assertThat(page.headers().firstValue("Location"))
                    .contains("http://" + leader.address() + "/tasks?state=RUNNING");
        }
        // Every master is listed (the web UI finds the next leader through them), in any master's /health.
        await().atMost(WAIT).untilAsserted(() -> assertThat(json(get(three.get(2), "/health")).get("masters"))
                .extracting(JsonNode::asText)
                .containsExactlyInAnyOrderElementsOf(three.stream().map(Master::address).toList()));
        JsonNode health = json(get(leader, "/health"));
        assertThat(health.get("role").asText()).isEqualTo("leader");
        assertThat(health.get("epoch").asLong()).isEqualTo(leader.epoch());
        assertThat(health.get("leader").asText()).isEqualTo(leader.address());
        assertThat(health.get("masterId").asText()).isEqualTo(leader.masterId());
        assertThat(health.has("reason")).isFalse();
    }

    @Test
    void whenTheLeaderGoesAnotherTakesOverTheRegistryWithAHigherEpoch() throws Exception {
        List<Master> two = startMasters(2);
        Master first = awaitLeader(two);
        Master second = two.get(0) == first ? two.get(1) : two.get(0);

        Stream agent = subscribeAgent(first, null);
        AgentEvent.Subscribed agentSubscribed = agent.next(AgentEvent.Subscribed.class);
        assertThat(agentSubscribed.epoch()).isEqualTo(first.epoch());
        Stream framework = subscribeFramework(first, null);
        SchedulerEvent.Subscribed fwSubscribed = framework.next(SchedulerEvent.Subscribed.class);
        assertThat(fwSubscribed.epoch()).isEqualTo(first.epoch());
        assertThat(post(first, "/api/v1/operator", new OperatorCall.UpdateWeights(Map.of("etl", 3.0)),
                "application/json").statusCode()).isEqualTo(202);
        long firstEpoch = first.epoch();
        Stream events = new Stream(first, "?type=master,agent");
        assertThat(events.next().name()).isEqualTo("SUBSCRIBED");

        first.close();

        await().atMost(WAIT).until(() -> agent.ended && framework.ended);
        // The events stream says who stopped leading, then why it ends, and ends: consumers go to the new leader.
        SseReader.Event deposed = events.next();
        assertThat(deposed.name()).isEqualTo("master.deposed");
        assertThat(json(deposed.data()).at("/data/epoch").asLong()).isEqualTo(firstEpoch);
        assertThat(events.next().name()).isEqualTo("ERROR");
        await().atMost(WAIT).until(() -> events.ended);
        await().atMost(WAIT).until(second::isLeader);
        assertThat(second.epoch()).isGreaterThan(firstEpoch);
        AgentView recovered = Json.mapper().readValue(get(second, "/api/v1/agents").body(), AgentView[].class)[0];
        assertThat(recovered.id()).isEqualTo(agentSubscribed.agentId());
        assertThat(recovered.state()).isEqualTo("RECOVERING");
        FrameworkView fw = Json.mapper().readValue(get(second, "/api/v1/frameworks").body(), FrameworkView[].class)[0];
        assertThat(fw.id()).isEqualTo(fwSubscribed.frameworkId());
        assertThat(fw.state()).isEqualTo("DISCONNECTED");
        assertThat(get(second, "/api/v1/roles").body()).contains("\"name\":\"etl\",\"weight\":3.0");

        // They come back, with their ids, to the new leader and its epoch.
        Stream secondEvents = new Stream(second, "?type=agent");
        assertThat(json(secondEvents.next().data()).get("epoch").asLong()).isEqualTo(second.epoch());
        Stream agentAgain = subscribeAgent(second, agentSubscribed.agentId());
        assertThat(agentAgain.next(AgentEvent.Subscribed.class).epoch()).isEqualTo(second.epoch());
        Stream fwAgain = subscribeFramework(second, fwSubscribed.frameworkId());
        assertThat(fwAgain.next(SchedulerEvent.Subscribed.class).epoch()).isEqualTo(second.epoch());
        assertThat(get(second, "/api/v1/agents").body()).contains("\"state\":\"ACTIVE\"");
        assertThat(fwAgain.next(SchedulerEvent.Offers.class).offers()).singleElement()
                .satisfies(o -> assertThat(o.agentId()).isEqualTo(agentSubscribed.agentId()));
        SseReader.Event back = secondEvents.next();
        assertThat(back.name()).isEqualTo("agent.reregistered");
        assertThat(json(back.data()).at("/data/previousState").asText()).isEqualTo("RECOVERING");
    }

    @Test
    void aLeaderWhoseElectionNodeIsRemovedStopsServingAndSendsCallersToItsSuccessor() throws Exception {
        List<Master> two = startMasters(2);
        Master first = awaitLeader(two);
        Master second = two.get(0) == first ? two.get(1) : two.get(0);
        Stream agent = subscribeAgent(first, null);
        String agentId = agent.next(AgentEvent.Subscribed.class).agentId();
        long firstEpoch = first.epoch();

        // Once the agent is in the registry (the write is not waited for by the core)...
        await().atMost(WAIT).until(() -> admin.checkExists().forPath(url.registryPath() + "/agents/"
                + agentId) != null);
        admin.delete().forPath(first.election().fencePathForTests());

        await().atMost(WAIT).until(() -> !first.isLeader() && second.isLeader());
        assertThat(second.epoch()).isGreaterThan(firstEpoch);
        await().atMost(WAIT).until(() -> agent.ended);
        awaitLeader(two);
        HttpResponse<String> r = get(first, "/api/v1/agents");
        assertThat(r.statusCode()).isEqualTo(307);
        assertThat(r.headers().firstValue("Location")).contains("http://" + second.address() + "/api/v1/agents");
        JsonNode health = json(get(first, "/health"));
        assertThat(health.get("role").asText()).isEqualTo("standby");
        assertThat(health.get("reason").asText()).contains("was removed");
        // The agent the deposed master registered reached the registry, and so the successor.
        assertThat(get(second, "/api/v1/agents").body()).contains("RECOVERING");
    }

    @Test
    void aLeaderWhoseSessionExpiresStepsDownAndStaysUpAsAStandby() throws Exception {
        List<Master> two = startMasters(2);
        Master first = awaitLeader(two);
        Master second = two.get(0) == first ? two.get(1) : two.get(0);
        long firstEpoch = first.epoch();

        Sessions.expire(first.election().clientForTests(), zk.getConnectString());

        await().atMost(WAIT).until(() -> !first.isLeader() && second.isLeader());
        assertThat(second.epoch()).isGreaterThan(firstEpoch);
        awaitLeader(two); // it follows its successor, in a new session
        assertThat(json(get(first, "/health")).get("reason").asText()).contains("session was lost");
        // And can lead again: when the successor goes, it takes over.
        second.close();
        await().atMost(WAIT).until(first::isLeader);
        assertThat(first.epoch()).isGreaterThan(second.epoch() == -1 ? firstEpoch : second.epoch());
    }

    @Test
    void withoutAReachableZooKeeperAMasterStartsAtOnceAndAnswers503() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        long t0 = System.nanoTime();
        Master m = start(ZooKeeperUrl.parse("127.0.0.1:" + closedPort + "/tower"));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));

        HttpResponse<String> r = get(m, "/api/v1/state");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(json(r).get("error").asText()).isEqualTo("no leading master elected yet");
        HttpResponse<String> call = post(m, "/api/v1/scheduler",
                new SchedulerCall.Decline("fw-1", List.of("o-1"), null), "application/json");
        assertThat(call.statusCode()).isEqualTo(503);
        JsonNode health = json(get(m, "/health"));
        assertThat(health.get("role").asText()).isEqualTo("standby");
        assertThat(health.get("leader").isNull()).isTrue();
        assertThat(health.get("epoch").isNull()).isTrue();
        assertThat(health.get("zookeeper").asText()).isEqualTo("CONNECTING");
        assertThat(health.get("reason").asText()).contains("cannot reach ZooKeeper at zk://127.0.0.1:" + closedPort);
        assertThat(m.isLeader()).isFalse();
    }

    @Test
    void aSingleMasterWithoutZooKeeperLeadsAtOnceWithEpochZero() throws Exception {
        Master m = start(null);

        assertThat(m.isLeader()).isTrue();
        assertThat(m.epoch()).isZero();
        JsonNode health = json(get(m, "/health"));
        assertThat(health.get("status").asText()).isEqualTo("ok");
        assertThat(health.get("role").asText()).isEqualTo("leader");
        assertThat(health.get("epoch").asLong()).isZero();
        assertThat(health.get("leader").asText()).isEqualTo(m.address());
        assertThat(health.get("masterId").asText()).isEqualTo(m.masterId());
        assertThat(health.has("zookeeper")).isFalse();
        Stream agent = subscribeAgent(m, null);
        assertThat(agent.next(AgentEvent.Subscribed.class).epoch()).isZero();
    }
}
