package dev.tower.kafka;

import dev.tower.api.events.ClusterEventView;
import dev.tower.api.events.EventFilter;
import dev.tower.api.events.EventSource;
import dev.tower.manager.core.ClusterEvent;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** {@link KafkaEventSource} against a real broker (one child JVM for the class), fed by a {@link KafkaEventSink}. */
@Tag("kafka")
class KafkaEventSourceTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    static KafkaBroker broker;
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();

    @BeforeAll
    static void startBroker() throws Exception {
        broker = KafkaBroker.builder(dir.resolve("kafka")).start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        while (!toClose.isEmpty()) {
            toClose.pop().close();
        }
    }

    /** {@code follow} running on a thread of its own, what it delivers collected. */
    static final class Follower implements AutoCloseable {
        final KafkaEventSource source;
        final List<ClusterEventView> events = new CopyOnWriteArrayList<>();
        final List<String> notices = new CopyOnWriteArrayList<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread thread;

        Follower(KafkaEventSource source, EventFilter filter) {
            this.source = source;
            thread = new Thread(() -> {
                try {
                    source.follow(filter, new EventSource.Listener() {
                        @Override
                        public void event(ClusterEventView event) {
                            events.add(event);
                        }

                        @Override
                        public void notice(String message) {
                            notices.add(message);
                        }
                    });
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "test-follower");
            thread.start();
        }

        boolean noticed(String part) {
            return notices.stream().anyMatch(n -> n.contains(part));
        }

        List<String> ids() {
            return events.stream().map(ClusterEventView::id).toList();
        }

        @Override
        public void close() throws InterruptedException {
            source.close();
            thread.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(thread.isAlive()).as("follow() ended after close()").isFalse();
        }
    }

    private Follower follow(String prefix, boolean fromBeginning, EventFilter filter) {
        Follower f = new Follower(new KafkaEventSource(broker.bootstrapServers(), topics(prefix), fromBeginning),
                filter);
        toClose.push(f);
        return f;
    }

    private static List<String> topics(String prefix) {
        return List.of(prefix + ".events", prefix + ".audit");
    }

    /** A sink as a master runs it, on topics of the test's own. */
    private KafkaEventSink sink(String prefix) throws Exception {
        KafkaEventSink sink = KafkaEventSink.start(KafkaEventSinkTest.config(broker.bootstrapServers(),
                dir.resolve(prefix + "-outbox"), prefix));
        toClose.push(sink);
        return sink;
    }

    private static List<ClusterEvent> publish(KafkaEventSink sink, String run, int from, int to) {
        List<ClusterEvent> out = new ArrayList<>();
        for (int n = from; n < to; n++) {
            ClusterEvent e = KafkaTestSupport.event(run, n, 10);
            sink.publish(e);
            out.add(e);
        }
        await().atMost(WAIT).until(() -> sink.pending() == 0);
        return out;
    }

    private static List<String> ids(List<ClusterEvent> events) {
        return events.stream().map(ClusterEvent::id).toList();
    }

    @Test
    void readsFromTheBeginningWhatASinkPublished() throws Exception {
        KafkaEventSink sink = sink("begin");
        List<ClusterEvent> published = publish(sink, "begin", 0, 200);

        Follower f = follow("begin", true, EventFilter.ALL);
        await().atMost(WAIT).until(() -> f.events.size() >= 200);
        assertThat(f.ids()).containsExactlyInAnyOrderElementsOf(ids(published));
        assertThat(f.notices.get(0)).isEqualTo("reading begin.events, begin.audit from Kafka at "
                + broker.bootstrapServers() + " (from the beginning)");

        // The envelope as the master's stream shows it: type without the CloudEvents prefix, summary, data as maps.
        ClusterEvent sent = published.get(13);
        ClusterEventView read = f.events.stream().filter(e -> e.id().equals(sent.id())).findFirst().orElseThrow();
        assertThat(read.type()).isEqualTo("task.status");
        assertThat(read.subject()).isEqualTo(sent.subject());
        assertThat(read.summary()).isEqualTo(sent.summary());
        assertThat(read.time()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        assertThat(read.data()).isInstanceOf(Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> data = (Map<String, Object>) read.data();
        assertThat(data).containsEntry("state", "TASK_STARTING").containsEntry("seq", 13)
                .containsEntry("taskId", "task-3");
        assertThat(f.events).filteredOn(ClusterEventView::isAudit).hasSize(4)
                .allSatisfy(e -> assertThat(e.type()).isEqualTo("audit.kill"));
        // One subject's events in publishing order.
        List<Object> task3 = f.events.stream().filter(e -> "fw-1/task-3".equals(e.subject()) && !e.isAudit())
                .map(e -> ((Map<?, ?>) e.data()).get("seq")).map(Object.class::cast).toList();
        assertThat(task3).containsExactly(3, 13, 23, 33);
    }

    @Test
    void filtersByTypeAndSubject() throws Exception {
        KafkaEventSink sink = sink("filter");
        List<ClusterEvent> published = publish(sink, "filter", 0, 200);

        Follower audit = follow("filter", true, EventFilter.of(List.of("audit"), null));
        Follower task3 = follow("filter", true, EventFilter.of(List.of("task.status"), "fw-1/task-3"));
        Follower framework = follow("filter", true, EventFilter.of(List.of(), "fw-1"));
        await().atMost(WAIT).until(() -> framework.events.size() >= 200);
        await().atMost(WAIT).until(() -> audit.events.size() >= 4 && task3.events.size() >= 4);

        assertThat(audit.ids()).containsExactlyInAnyOrderElementsOf(
                ids(published.stream().filter(ClusterEvent::isAudit).toList()));
        assertThat(task3.ids()).containsExactlyElementsOf(ids(published.stream()
                .filter(e -> e.type().equals("task.status") && e.subject().equals("fw-1/task-3")).toList()));
        // A framework's id matches its tasks' subjects.
        assertThat(framework.ids()).containsExactlyInAnyOrderElementsOf(ids(published));
    }

    @Test
    void skipsCopiesOfAnEventAndRecordsThatAreNotTowerEvents() throws Exception {
        String prefix = "raw";
        createTopics(prefix, 1);
        ClusterEvent first = KafkaTestSupport.event(prefix, 1, 10);
        ClusterEvent second = KafkaTestSupport.event(prefix, 2, 10);
        byte[] a = CloudEvents.structured(first, "tower://test");
        byte[] b = CloudEvents.structured(second, "tower://test");
        try (KafkaProducer<byte[], byte[]> p = producer()) {
            String topic = prefix + ".events";
            p.send(record(topic, first.subject(), a));
            p.send(record(topic, first.subject(), a)); // a resent copy: at-least-once delivery
            p.send(record(topic, "x", "not json at all".getBytes(StandardCharsets.UTF_8)));
            p.send(record(topic, "x", "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/other\",\"type\":\"com.example.thing\"}"
                    .getBytes(StandardCharsets.UTF_8)));
            p.send(record(topic, second.subject(), b));
            p.send(record(topic, first.subject(), a)); // and a copy after others
            p.flush();
        }

        Follower f = follow(prefix, true, EventFilter.ALL);
        await().atMost(WAIT).until(() -> f.events.size() >= 2);
        assertThat(f.ids()).containsExactly(first.id(), second.id());
        assertThat(f.notices).filteredOn(n -> n.contains("not Tower CloudEvents")).singleElement().asString()
                .contains(prefix + ".events-0 offset 2").contains("not JSON");

        // A record published afterwards shows that everything before it was read (one partition, in order): the
        // copy after the second event was skipped too.
        try (KafkaProducer<byte[], byte[]> p = producer()) {
            ClusterEvent third = KafkaTestSupport.event(prefix, 3, 10);
            p.send(record(prefix + ".events", third.subject(), CloudEvents.structured(third, "tower://test")));
            p.flush();
            await().atMost(WAIT).until(() -> f.events.size() >= 3);
            assertThat(f.ids()).containsExactly(first.id(), second.id(), third.id());
        }
    }

    @Test
    void fromNowOnSkipsWhatWasPublishedBefore() throws Exception {
        KafkaEventSink sink = sink("now");
        List<ClusterEvent> old = publish(sink, "now", 0, 100);

        Follower f = follow("now", false, EventFilter.ALL);
        await().atMost(WAIT).until(() -> f.noticed("(from now on)"));
        List<ClusterEvent> recent = publish(sink, "now", 100, 150);
        await().atMost(WAIT).until(() -> f.events.size() >= 50);
        assertThat(f.ids()).containsExactlyInAnyOrderElementsOf(ids(recent));
        assertThat(f.ids()).doesNotContainAnyElementsOf(ids(old));
    }

    @Test
    void waitsForTopicsThatDoNotExistYet() throws Exception {
        Follower f = follow("later", false, EventFilter.ALL);
        await().atMost(WAIT).until(() -> f.noticed("topics later.events, later.audit do not exist yet"));
        assertThat(f.notices.get(0)).endsWith("(from now on)");

        // The master reaches Kafka and creates them: everything in them is new, read from their start.
        KafkaEventSink sink = sink("later");
        List<ClusterEvent> published = publish(sink, "later", 0, 100);
        await().atMost(WAIT).until(() -> f.events.size() >= 100);
        assertThat(f.ids()).containsExactlyInAnyOrderElementsOf(ids(published));
    }

    @Test
    void closeEndsAFollowWaitingForRecords() throws Exception {
        createTopics("idle", 2);
        Follower f = follow("idle", true, EventFilter.ALL);
        await().atMost(WAIT).until(() -> f.noticed("(from the beginning)"));
        await().atMost(WAIT).until(() -> in(f.thread, "poll"));
        f.close(); // asserts that follow() returned
        assertThat(f.failure.get()).isNull();
        assertThat(f.events).isEmpty();
    }

    @Test
    void anUnreachableKafkaIsRetriedUntilCloseOrGivenUpOnWhenAsked() throws Exception {
        Follower retrying = new Follower(new KafkaEventSource(KafkaEventSinkTest.NO_KAFKA, topics("none"), true),
                EventFilter.ALL);
        toClose.push(retrying);
        await().atMost(WAIT).until(() -> retrying.noticed("cannot reach Kafka at " + KafkaEventSinkTest.NO_KAFKA));
        assertThat(retrying.notices).singleElement().asString().endsWith("; retrying");
        await().atMost(WAIT).until(() -> in(retrying.thread, "listTopics"));
        retrying.close(); // ends it while it waits for Kafka's answer or between attempts
        assertThat(retrying.failure.get()).isNull();

        Follower giving = new Follower(new KafkaEventSource(KafkaEventSinkTest.NO_KAFKA, topics("none"), false,
                Duration.ofSeconds(2)), EventFilter.ALL);
        toClose.push(giving);
        await().atMost(WAIT).until(() -> giving.failure.get() != null);
        assertThat(giving.failure.get()).isInstanceOf(KafkaEventSource.UnreachableException.class)
                .hasMessageStartingWith("cannot reach Kafka at " + KafkaEventSinkTest.NO_KAFKA + " within 2 s");
    }

    @Test
    void badBootstrapServersAreRefusedAtOnce() {
        assertThatThrownBy(() -> new KafkaEventSource("kafka1", topics("x"), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'kafka1' is not host:port");
        assertThatThrownBy(() -> new KafkaEventSource("k:9092,k2:99999", topics("x"), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'k2:99999'");
    }

    /** Whether {@code thread} is inside the Kafka consumer's {@code method} now. */
    private static boolean in(Thread thread, String method) {
        for (StackTraceElement e : thread.getStackTrace()) {
            if (e.getClassName().endsWith("KafkaConsumer") && e.getMethodName().equals(method)) {
                return true;
            }
        }
        return false;
    }

    private static void createTopics(String prefix, int partitions) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(topics(prefix).stream().map(t -> new NewTopic(t, partitions, (short) 1)).toList())
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()));
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String key, byte[] value) {
        return new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value);
    }
}
