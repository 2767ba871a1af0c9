package dev.tower.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.client.SchedulerClient;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.kafka.KafkaBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real master publishing its cluster events and audit records to a real Kafka broker (a KRaft child JVM), read
 * back with a plain consumer: every event once per id and in order per entity; nothing lost when the broker is down
 * for 20 s or when the master is killed with events still in its outbox; audit records of launches, kills and
 * rejected calls.
 */
@ExtendWith(LogsOnFailure.class)
class KafkaEventsTest {
    private static Path brokerDir;
    private static KafkaBroker broker;

    private Cluster cluster;
    private final List<SchedulerClient> clients = new ArrayList<>();
    private String eventsTopic;
    private String auditTopic;

    @BeforeAll
    static void startBroker() throws IOException {
        brokerDir = Files.createTempDirectory("tower-it-kafka");
        broker = KafkaBroker.builder(brokerDir).port(0).start();
    }

    @AfterAll
    static void stopBroker() throws IOException {
        if (broker != null) {
            broker.close();
        }
        try (var paths = Files.walk(brokerDir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @BeforeEach
    void topics(TestInfo test) throws IOException {
        String name = test.getTestMethod().orElseThrow().getName();
        eventsTopic = "it." + name + ".events";
        auditTopic = "it." + name + ".audit";
        broker.start(); // a no-op unless a failed test left it stopped
    }

    @AfterEach
    void stop() {
        clients.forEach(SchedulerClient::close);
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // 2,000 tasks on a busy 2-core machine
    void twoThousandTaskLifecyclesReachKafkaOncePerIdAndInOrderPerEntity() throws Exception {
        cluster = startCluster("kafka-lifecycles", 2);
        String masterId = health().path("masterId").asText();
        RecordingScheduler scheduler = new RecordingScheduler();
        scheduler.submit(tasks("t", 2000));
        SchedulerClient client = start(scheduler, "lifecycles");

        await("2,000 tasks FINISHED").atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(500))
                .until(() -> scheduler.countIn(TaskState.FINISHED) == 2000);
        String frameworkId = client.frameworkId().orElseThrow();
        quiesce(client);

        List<KafkaTopics.Record> all = KafkaTopics.readAll(broker.bootstrapServers(), eventsTopic, auditTopic);
        Map<Long, KafkaTopics.Record> bySeq = KafkaTopics.bySequence(all, masterId); // fails on a duplicate
        long last = bySeq.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
        assertThat(missing(bySeq, last)).as("events of master %s missing from Kafka (1..%d)", masterId, last)
                .isEmpty();
        KafkaTopics.assertOrderedPerKey(all);
        assertThat(all).allSatisfy(r -> assertThat(r.topic())
                .isEqualTo(r.type().startsWith("audit.") ? auditTopic : eventsTopic));

        Map<String, List<String>> states = statesPerTask(all, frameworkId);
        assertThat(states).hasSize(2000);
        assertThat(states).allSatisfy((task, seen) -> {
            assertThat(seen).as("states of %s", task).endsWith("FINISHED").contains("RUNNING");
            assertThat(seen.indexOf("RUNNING")).as("states of %s", task).isLessThan(seen.indexOf("FINISHED"));
        });
        assertThat(all).filteredOn(r -> r.type().equals("task.launched")).hasSize(2000);
        long launchedInAudit = all.stream().filter(r -> r.type().equals("audit.task.launch"))
                .mapToLong(r -> r.data().path("taskIds").size()).sum();
        assertThat(launchedInAudit).as("task ids in audit.task.launch records").isEqualTo(2000);
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES) // 45 s of scenario, then ~2,500 tasks to finish and deliver
    void aBrokerDownForTwentySecondsLosesNothingAndDoesNotSlowTheMastersApi() throws Exception {
        cluster = startCluster("kafka-outage", 2);
        String masterId = health().path("masterId").asText();
        RecordingScheduler scheduler = new RecordingScheduler();
        SchedulerClient client = start(scheduler, "outage");
        AtomicInteger submitted = new AtomicInteger();
        ScheduledExecutorService feeder = Executors.newSingleThreadScheduledExecutor();
        ApiProbe probe = new ApiProbe(cluster);
        try {
            // 50 tasks/s for as long as the scenario runs (at most 80 s of it).
            feeder.scheduleAtFixedRate(() -> {
                if (submitted.get() < 4000) {
                    int from = submitted.getAndAdd(10);
                    scheduler.submit(IntStream.range(from, from + 10).mapToObj(KafkaEventsTest::task).toList());
                }
            }, 0, 200, TimeUnit.MILLISECONDS);
            probe.run(Duration.ofSeconds(5)); // warm-up, not counted
            List<Long> before = probe.run(Duration.ofSeconds(15));

            broker.stop();
            List<Long> outage = probe.run(Duration.ofSeconds(20));
            JsonNode duringOutage = sink();
            broker.start();
            awaitDelivered(); // the backlog sent: Kafka is up and steady again
            List<Long> after = probe.run(Duration.ofSeconds(15));
            feeder.shutdownNow();

            // "Normal" is measured on both sides of the outage, so that load on the machine from outside the test
            // (which comes and goes) weighs on the baseline as it may on the outage.
            long p99Normal = Math.max(percentile(before, 99), percentile(after, 99));
            long p99Outage = percentile(outage, 99);
            System.out.printf("master API latency (GET state + POST weights): before p50 %.1f ms p99 %.1f ms (%d calls);"
                            + " broker down p50 %.1f ms p99 %.1f ms (%d calls); after p50 %.1f ms p99 %.1f ms (%d "
                            + "calls); outbox held %d events at the end of the outage%n",
                    percentile(before, 50) / 1e6, percentile(before, 99) / 1e6, before.size(),
                    percentile(outage, 50) / 1e6, p99Outage / 1e6, outage.size(),
                    percentile(after, 50) / 1e6, percentile(after, 99) / 1e6, after.size(),
                    duringOutage.path("pending").asLong());
            assertThat(duringOutage.path("pending").asLong()).as("events held back during the outage").isPositive();
            assertThat(p99Outage).as("API p99 with the broker down (%.1f ms) vs normal (%.1f ms)", p99Outage / 1e6,
                    p99Normal / 1e6).isLessThanOrEqualTo(2 * p99Normal);
        } finally {
            feeder.shutdownNow();
        }

        int total = submitted.get();
        await(total + " tasks FINISHED").atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                .until(() -> scheduler.countIn(TaskState.FINISHED) == total);
        String frameworkId = client.frameworkId().orElseThrow();
        quiesce(client);

        List<KafkaTopics.Record> all = KafkaTopics.readAll(broker.bootstrapServers(), eventsTopic, auditTopic);
        List<KafkaTopics.Record> first = KafkaTopics.firstCopies(all);
        Map<Long, KafkaTopics.Record> bySeq = KafkaTopics.bySequence(first, masterId);
        long last = bySeq.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
        System.out.printf("after the outage: %d events of this master in Kafka, %d redelivered copies%n",
                bySeq.size(), all.size() - first.size());
        assertThat(missing(bySeq, last)).as("events lost (1..%d)", last).isEmpty();
        KafkaTopics.assertOrderedPerKey(first);
        Map<String, List<String>> states = statesPerTask(first, frameworkId);
        assertThat(states).hasSize(total).allSatisfy((task, seen) -> assertThat(seen).endsWith("FINISHED"));
    }

    @Test
    void eventsLeftInTheOutboxOfAKilledMasterAreDeliveredAfterItsRestart() throws Exception {
        Outboxed before = eventsOutboxedThenMasterKilled("kafka-kill");

        broker.start();
        cluster.restartMaster();
        awaitDelivered();

        List<KafkaTopics.Record> first = KafkaTopics.firstCopies(
                KafkaTopics.readAll(broker.bootstrapServers(), eventsTopic, auditTopic));
        Map<Long, KafkaTopics.Record> bySeq = KafkaTopics.bySequence(first, before.masterId);
        assertThat(missing(bySeq, before.published)).as("events of the killed master missing").isEmpty();
        assertThat(bySeq.keySet()).as("nothing more than it published").allMatch(s -> s <= before.published);
        KafkaTopics.assertOrderedPerKey(first);
        assertThat(statesPerTask(first, before.frameworkId)).hasSize(50)
                .allSatisfy((task, seen) -> assertThat(seen).endsWith("FINISHED"));
    }

    @Test
    void aTornRecordAtTheOutboxTailIsCutAndTheRestDelivered() throws Exception {
        Outboxed before = eventsOutboxedThenMasterKilled("kafka-torn");
        Path segment;
        try (var files = Files.list(cluster.workDir().resolve("master").resolve("outbox"))) {
            segment = files.filter(p -> p.getFileName().toString().endsWith(".seg")).max(Comparator.naturalOrder())
                    .orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 7); // the last record loses its end, as if the machine died mid-write
        }

        broker.start();
        TowerProcess restarted = cluster.restartMaster();
        awaitDelivered();

        assertThat(Files.readString(restarted.stderr()) + Files.readString(restarted.stdout()))
                .contains("outbox: " + segment.getFileName() + " ends in");
        Map<Long, KafkaTopics.Record> bySeq = KafkaTopics.bySequence(KafkaTopics.firstCopies(
                KafkaTopics.readAll(broker.bootstrapServers(), eventsTopic, auditTopic)), before.masterId);
        assertThat(missing(bySeq, before.published - 1)).as("events before the torn one").isEmpty();
        assertThat(bySeq).as("the torn event").doesNotContainKey(before.published);
        assertThat(health().path("eventSinks").get(0).path("dropped").asLong()).isZero();
    }

    @Test
    void launchesKillsAndRejectedCallsAreAuditedInTheAuditTopic() throws Exception {
        cluster = startCluster("kafka-audit", 1);
        RecordingScheduler scheduler = new RecordingScheduler();
        scheduler.submit(List.of(TaskInfo.of("sleeper", Resources.cpusMem(0.1, 16), CommandInfo.shell("sleep 60"))));
        SchedulerClient client = start(scheduler, "audited");
        await("sleeper RUNNING").atMost(Duration.ofSeconds(30))
                .until(() -> scheduler.state("sleeper") == TaskState.RUNNING);
        String frameworkId = client.frameworkId().orElseThrow();
        client.kill("sleeper", null).get(10, TimeUnit.SECONDS);
        await("sleeper KILLED").atMost(Duration.ofSeconds(30))
                .until(() -> scheduler.state("sleeper") == TaskState.KILLED);
        var rejected = cluster.send(HttpRequest.newBuilder(cluster.uri("/api/v1/operator"))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"KILL_TASK\",\"frameworkId\":\""
                        + frameworkId + "\"}")).build());
        assertThat(rejected.statusCode()).as(rejected.body()).isEqualTo(400);
        quiesce(client);

        List<KafkaTopics.Record> audit = KafkaTopics.readAll(broker.bootstrapServers(), auditTopic);
        assertThat(audit).allSatisfy(r -> assertThat(r.type()).startsWith("audit."));
        KafkaTopics.Record launch = only(audit, "audit.task.launch", frameworkId);
        assertThat(launch.data().path("taskIds").get(0).asText()).isEqualTo("sleeper");
        assertAccepted(launch);
        KafkaTopics.Record kill = audit.stream().filter(r -> r.type().equals("audit.task.kill")
                && "accepted".equals(r.data().path("outcome").asText())).findFirst().orElseThrow();
        assertThat(kill.subject()).isEqualTo(frameworkId + "/sleeper");
        assertAccepted(kill);
        KafkaTopics.Record bad = audit.stream().filter(r -> r.type().equals("audit.task.kill")
                && "rejected".equals(r.data().path("outcome").asText())).findFirst().orElseThrow();
        assertThat(bad.subject()).isEqualTo(frameworkId);
        assertThat(bad.data().path("call").asText()).isEqualTo("KILL_TASK");
        assertThat(bad.data().path("status").asInt()).isEqualTo(400);
        assertThat(bad.data().path("error").asText()).contains("taskId");
        assertThat(bad.data().path("principal").asText()).isEqualTo("anonymous");
        assertThat(bad.data().path("source").asText()).startsWith("127.0.0.1:");
    }

    // ---- scenario steps ----

    /** What a master published before it was killed with its events still in the outbox. */
    private record Outboxed(String masterId, String frameworkId, long published) {
    }

    /**
     * Runs 50 tasks on a master whose broker is down, so that their events wait in the outbox; once every event is in
     * the outbox files (none only in memory), kills the master with SIGKILL.
     */
    private Outboxed eventsOutboxedThenMasterKilled(String name) throws Exception {
        cluster = startCluster(name, 1);
        String masterId = health().path("masterId").asText();
        await("the first events delivered (topics made)").atMost(Duration.ofSeconds(30))
                .until(() -> sink().path("delivered").asLong() > 0);
        broker.stop();
        RecordingScheduler scheduler = new RecordingScheduler();
        scheduler.submit(tasks("k", 50));
        SchedulerClient client = start(scheduler, name);
        await("50 tasks FINISHED").atMost(Duration.ofSeconds(60))
                .until(() -> scheduler.countIn(TaskState.FINISHED) == 50);
        String frameworkId = client.frameworkId().orElseThrow();
        client.teardown().get(10, TimeUnit.SECONDS);
        client.close();
        JsonNode held = await("every event in the outbox files").atMost(Duration.ofSeconds(20))
                .until(this::sink, s -> s.path("pending").asLong() > 0 && s.path("unwritten").asLong() == 0
                        && s.path("dropped").asLong() == 0);
        long published = held.path("delivered").asLong() + held.path("pending").asLong();
        cluster.killMaster();
        return new Outboxed(masterId, frameworkId, published);
    }

    private Cluster startCluster(String name, int agents) {
        return Cluster.start(name, agents, "10s", List.of("--kafka", broker.bootstrapServers(),
                "--events-topic", eventsTopic, "--audit-topic", auditTopic, "--kafka-partitions", "3"));
    }

    private SchedulerClient start(RecordingScheduler scheduler, String name) throws InterruptedException {
        SchedulerClient client = scheduler.start(cluster, name);
        clients.add(client);
        return client;
    }

    /** Tears the framework down (so no more offers are made) and waits until Kafka acknowledged every event. */
    private void quiesce(SchedulerClient client) throws Exception {
        client.teardown().get(10, TimeUnit.SECONDS);
        awaitDelivered();
    }

    private void awaitDelivered() {
        await("every event acknowledged by Kafka").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> sink().path("pending").asLong() == 0);
    }

    private JsonNode health() {
        return Cluster.readTree(cluster.getOk("/health"));
    }

    /** The master's Kafka sink as {@code /health} shows it. */
    private JsonNode sink() {
        JsonNode sinks = health().path("eventSinks");
        assertThat(sinks.size()).as("event sinks in /health: %s", sinks).isEqualTo(1);
        JsonNode sink = sinks.get(0);
        assertThat(sink.path("kind").asText()).isEqualTo("kafka");
        assertThat(sink.path("target").asText()).isEqualTo(broker.bootstrapServers());
        return sink;
    }

    // ---- checks ----

    private static List<Long> missing(Map<Long, KafkaTopics.Record> bySeq, long last) {
        return LongStream.rangeClosed(1, last).filter(s -> !bySeq.containsKey(s)).limit(20).boxed().toList();
    }

    /** The states each task of {@code frameworkId} went through, as {@code task.status} events in Kafka tell. */
    private static Map<String, List<String>> statesPerTask(List<KafkaTopics.Record> records, String frameworkId) {
        Map<String, List<String>> states = new LinkedHashMap<>();
        records.stream().filter(r -> r.type().equals("task.status") && r.subject().startsWith(frameworkId + "/"))
                .sorted(Comparator.comparingLong(KafkaTopics.Record::sequence))
                .forEach(r -> states.computeIfAbsent(r.subject(), k -> new ArrayList<>())
                        .add(r.data().path("state").asText()));
        return states;
    }

    private static KafkaTopics.Record only(List<KafkaTopics.Record> records, String type, String subject) {
        List<KafkaTopics.Record> found = records.stream()
                .filter(r -> r.type().equals(type) && subject.equals(r.subject())).toList();
        assertThat(found).as("%s of %s", type, subject).hasSize(1);
        return found.get(0);
    }

    private static void assertAccepted(KafkaTopics.Record r) {
        assertThat(r.data().path("principal").asText()).as("principal of %s", r.id()).isEqualTo("anonymous");
        assertThat(r.data().path("source").asText()).as("source of %s", r.id()).startsWith("127.0.0.1:");
        assertThat(r.data().path("outcome").asText()).as("outcome of %s", r.id()).isEqualTo("accepted");
        assertThat(r.data().path("status").asInt()).as("HTTP status of %s", r.id()).isBetween(200, 299);
    }

    private static long percentile(List<Long> nanos, int p) {
        List<Long> sorted = new ArrayList<>(nanos);
        sorted.sort(null);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static List<TaskInfo> tasks(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> TaskInfo.of(prefix + "-" + i, Resources.cpusMem(0.1, 16),
                CommandInfo.shell("true"))).toList();
    }

    private static TaskInfo task(int i) {
        return TaskInfo.of("o-" + i, Resources.cpusMem(0.1, 16), CommandInfo.shell("true"));
    }

    /**
     * Calls the master's API (a read through the core and an audited write, alternately, one every 20 ms)
     * and records how long each took: the API latency an operator and the frameworks see.
     */
    private static final class ApiProbe {
        private final Cluster cluster;
        private int n;

        ApiProbe(Cluster cluster) {
            this.cluster = cluster;
        }

        /** Calls for {@code duration} (then it stops by itself) and returns each call's latency in nanoseconds. */
        List<Long> run(Duration duration) throws InterruptedException {
            List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            ScheduledExecutorService pace = Executors.newSingleThreadScheduledExecutor();
            pace.scheduleWithFixedDelay(() -> {
                try {
                    latencies.add(call());
                } catch (RuntimeException | AssertionError e) {
                    failure.compareAndSet(null, e);
                }
            }, 0, 20, TimeUnit.MILLISECONDS); // a steady trickle, not a load test
            pace.schedule(pace::shutdown, duration.toMillis(), TimeUnit.MILLISECONDS);
            if (!pace.awaitTermination(duration.toMillis() + 30_000, TimeUnit.MILLISECONDS)) {
                pace.shutdownNow();
                throw new AssertionError("the API probe did not stop");
            }
            if (failure.get() != null) {
                throw new AssertionError("an API call failed", failure.get());
            }
            return new ArrayList<>(latencies);
        }

        private long call() {
            HttpRequest request = n++ % 2 == 0
                    ? HttpRequest.newBuilder(cluster.uri("/api/v1/state?completed=0")).GET()
                    .timeout(Duration.ofSeconds(10)).build()
                    : HttpRequest.newBuilder(cluster.uri("/api/v1/operator"))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"type\":\"UPDATE_WEIGHTS\",\"weights\":{\"probe\":1.0}}")).build();
            long t0 = System.nanoTime();
            var response = cluster.send(request);
            long took = System.nanoTime() - t0;
            assertThat(response.statusCode()).as("%s: %s", request.uri(), response.body()).isBetween(200, 299);
            return took;
        }
    }
}
