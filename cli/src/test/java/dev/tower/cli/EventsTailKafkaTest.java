package dev.tower.cli;

import dev.tower.api.client.MasterHttp;
import dev.tower.api.codec.Json;
import dev.tower.api.detect.MasterUrls;
import dev.tower.api.detect.ZooKeeperUrl;
import dev.tower.api.events.ClusterEventView;
import dev.tower.api.operator.OperatorCall;
import dev.tower.cli.EventsCommandTest.Run;
import dev.tower.cli.cluster.EmbeddedZooKeeper;
import dev.tower.kafka.KafkaBroker;
import dev.tower.kafka.KafkaEventSink;
import dev.tower.kafka.KafkaEventsConfig;
import dev.tower.manager.Master;
import dev.tower.manager.MasterOptions;
import dev.tower.manager.core.ClusterEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Where {@code tower events tail} reads from: the Kafka a master publishes to, {@code --kafka}, or the master's live
 * stream ({@code --from-master}, or when that Kafka cannot be reached). Real masters in this JVM, a real Kafka broker
 * in a child JVM.
 */
class EventsTailKafkaTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Nothing listens there: a Kafka that is down. */
    private static final String NO_KAFKA = "127.0.0.1:1";

    @TempDir
    static Path shared;
    static KafkaBroker broker;

    @TempDir
    Path dir;
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();

    @BeforeAll
    static void startBroker() throws IOException {
        broker = KafkaBroker.builder(shared.resolve("kafka")).start();
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

    private MasterOptions options(String name) {
        return MasterOptions.defaults(dir.resolve(name)).withHosts("127.0.0.1", "127.0.0.1").withPort(0);
    }

    private KafkaEventsConfig sinkConfig(String bootstrap, String name, String topicPrefix) {
        return KafkaEventsConfig.defaults(bootstrap, dir.resolve(name).resolve("outbox"))
                .withTopics(topicPrefix + ".events", topicPrefix + ".audit")
                .withCloseTimeout(Duration.ofSeconds(1));
    }

    /** A master publishing its events to Kafka at {@code bootstrap} from before it leads, as {@code tower master}. */
    private Master master(MasterOptions options, String bootstrap, String topicPrefix, KafkaEventSink[] sink) {
        Master m = Master.start(options, started -> {
            try {
                sink[0] = KafkaEventSink.start(sinkConfig(bootstrap, options.workDir().getFileName().toString(),
                        topicPrefix).withSource("tower://" + started.address()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            started.events().add(sink[0]);
        });
        toClose.push(m);
        return m;
    }

    private static void weights(String masterUrl, double w) {
        try (var detector = MasterUrls.detector(masterUrl)) {
            new MasterHttp(detector).post("/api/v1/operator", new OperatorCall.UpdateWeights(Map.of("etl", w)));
        }
    }

    @Test
    void readsTheKafkaTheMasterPublishesToFromTheBeginningOrFromNow() throws Exception {
        KafkaEventSink[] sink = new KafkaEventSink[1];
        Master m = master(options("m"), broker.bootstrapServers(), "adv", sink);
        weights(m.address(), 2.0);
        await().atMost(WAIT).until(() -> sink[0].delivered() > 0 && sink[0].pending() == 0);

        // The event is older than the command: only Kafka still has it.
        Run old = new Run("events", "tail", "--master", m.address(), "--from-beginning", "--type",
                "weights.updated", "--json", "-n", "1");
        assertThat(old.awaitExit()).isZero();
        ClusterEventView event = Json.read(old.lines().get(0), ClusterEventView.class);
        assertThat(event.type()).isEqualTo("weights.updated");
        assertThat(event.id()).startsWith(m.masterId() + "-");
        assertThat(event.summary()).isEqualTo("role weights updated: {etl=2.0}");
        assertThat(old.err()).contains("tower events: the master publishes its events to Kafka at "
                        + broker.bootstrapServers() + "; reading them there")
                .contains("tower events: reading adv.events, adv.audit from Kafka at " + broker.bootstrapServers()
                        + " (from the beginning)");

        Run now = new Run("events", "tail", "--master", m.address(), "--type", "weights.updated", "-n", "1");
        await().atMost(WAIT).until(() -> now.err().contains("(from now on)"));
        weights(m.address(), 4.0);
        assertThat(now.awaitExit()).isZero();
        assertThat(now.lines()).singleElement().asString().contains("weights.updated").endsWith("{etl=4.0}");
        assertThat(now.err()).doesNotContain("following the events of master");
    }

    @Test
    void fromMasterFollowsTheLiveStreamOfAMasterThatPublishesToKafka() throws Exception {
        KafkaEventSink[] sink = new KafkaEventSink[1];
        Master m = master(options("m"), broker.bootstrapServers(), "live", sink);
        Run tail = new Run("events", "tail", "--master", m.address(), "--from-master", "--type", "weights.updated",
                "-n", "1");
        await().atMost(WAIT).until(() -> tail.err().contains("following the events of master " + m.address()));
        weights(m.address(), 3.0);
        assertThat(tail.awaitExit()).isZero();
        assertThat(tail.lines()).singleElement().asString().endsWith("{etl=3.0}");
        assertThat(tail.err()).doesNotContain("Kafka");
    }

    @Test
    void kafkaNamesTheBrokersAndTopicsWithoutAskingAMaster() throws Exception {
        KafkaEventSink sink = KafkaEventSink.start(sinkConfig(broker.bootstrapServers(), "own", "own"));
        toClose.push(sink);
        for (int i = 0; i < 5; i++) {
            String subject = i % 2 == 0 ? "fw-9/task-" + i : "fw-8/task-" + i;
            sink.publish(new ClusterEvent("own-" + i, "task.launched", subject, "task " + subject + " launched",
                    Map.of("taskId", "task-" + i), System.currentTimeMillis()));
        }
        await().atMost(WAIT).until(() -> sink.pending() == 0);

        // No master listens at --master: it is not asked.
        Run tail = new Run("events", "tail", "--master", NO_KAFKA, "--kafka", broker.bootstrapServers(),
                "--events-topic", "own.events", "--audit-topic", "own.audit", "--from-beginning", "--subject", "fw-9",
                "-n", "3");
        assertThat(tail.awaitExit()).isZero();
        assertThat(tail.lines()).hasSize(3).allSatisfy(l -> assertThat(l).contains("task.launched")
                .contains("fw-9/task-")).noneSatisfy(l -> assertThat(l).contains("fw-8"));
        assertThat(tail.err()).startsWith("tower events: reading own.events, own.audit from Kafka at "
                + broker.bootstrapServers() + " (from the beginning)");
    }

    @Test
    void theMastersLiveStreamIsFollowedWhenItsKafkaCannotBeReached() throws Exception {
        KafkaEventSink[] sink = new KafkaEventSink[1];
        Master m = master(options("m"), NO_KAFKA, "down", sink);
        Run tail = new Run("events", "tail", "--master", m.address(), "--type", "weights.updated", "-n", "1");
        await().atMost(WAIT).until(() -> tail.err().contains("following the events of master " + m.address()));
        assertThat(tail.err()).contains("tower events: cannot reach Kafka at " + NO_KAFKA + " within 10 s")
                .contains("; following the master's live stream instead");
        weights(m.address(), 6.0);
        assertThat(tail.awaitExit()).isZero();
        assertThat(tail.lines()).singleElement().asString().endsWith("{etl=6.0}");
    }

    @Test
    void aStandbyAskedNamesTheLeaderWhoseKafkaIsRead() throws Exception {
        EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir.resolve("zk"), 0, Duration.ofMillis(200));
        toClose.push(zk);
        ZooKeeperUrl url = ZooKeeperUrl.parse(zk.masterUrl());
        Master leader = master(options("m1").withZooKeeper(url, Duration.ofSeconds(2)), broker.bootstrapServers(),
                "lead", new KafkaEventSink[1]);
        await().atMost(WAIT).until(leader::isLeader);
        // A standby configured differently, so that it shows whose /health was read.
        Master standby = master(options("m2").withZooKeeper(url, Duration.ofSeconds(2)), broker.bootstrapServers(),
                "stand", new KafkaEventSink[1]);
        await().atMost(WAIT).until(() -> healthOf(standby).contains("\"leader\":\"" + leader.address() + "\""));

        Run tail = new Run("events", "tail", "--master", standby.address(), "--type", "weights.updated", "-n", "1");
        await().atMost(WAIT).until(() -> tail.err().contains("(from now on)"));
        assertThat(tail.err()).contains("reading lead.events, lead.audit from Kafka");
        weights(zk.masterUrl(), 7.0);
        assertThat(tail.awaitExit()).isZero();
        assertThat(tail.lines()).singleElement().asString().endsWith("{etl=7.0}");
    }

    private static String healthOf(Master m) {
        try (var detector = MasterUrls.detector(m.address())) {
            return new MasterHttp(detector).get("/health");
        }
    }
}
