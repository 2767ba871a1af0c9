package dev.tower.cli;

import dev.tower.api.client.MasterHttp;
import dev.tower.api.codec.Json;
import dev.tower.api.detect.MasterUrls;
import dev.tower.api.detect.ZooKeeperUrl;
import dev.tower.api.events.ClusterEventView;
import dev.tower.api.operator.OperatorCall;
import dev.tower.cli.cluster.EmbeddedZooKeeper;
import dev.tower.manager.Master;
import dev.tower.manager.MasterOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code tower events tail} against real masters in this JVM. */
class EventsCommandTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();

    @AfterEach
    void closeAll() throws Exception {
        while (!toClose.isEmpty()) {
            toClose.pop().close();
        }
    }

    /** A {@code tower} command running on its own thread, its output captured. */
    static final class Run {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CompletableFuture<Integer> exit;

        Run(String... args) {
            CommandLine cl = TowerCli.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
                cmd.getErr().println("tower: " + TowerCli.explain(e));
                return 1;
            });
            exit = CompletableFuture.supplyAsync(() -> cl.execute(args));
        }

        synchronized String out() {
            return out.toString();
        }

        String err() {
            return err.toString();
        }

        List<String> lines() {
            return out().lines().toList();
        }

        int awaitExit() throws Exception {
            return exit.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private Master master(MasterOptions options) {
        Master m = Master.start(options);
        toClose.push(m);
        return m;
    }

    private MasterOptions options(String name) {
        return MasterOptions.defaults(dir.resolve(name)).withHosts("127.0.0.1", "127.0.0.1").withPort(0);
    }

    private static void weights(String masterUrl, double w) {
        try (var detector = MasterUrls.detector(masterUrl)) {
            new MasterHttp(detector).post("/api/v1/operator", new OperatorCall.UpdateWeights(Map.of("etl", w)));
        }
    }

    @Test
    void printsOneLinePerMatchingEventOrItsJson() throws Exception {
        Master m = master(options("m"));
        Run lines = new Run("events", "tail", "--master", m.address(), "--type", "weights,audit.weights", "-n", "2");
        Run json = new Run("events", "tail", "--master", m.address(), "--subject", "weights", "--json", "-n", "2");
        await().atMost(WAIT).until(() -> lines.err().contains("following the events of master " + m.address())
                && json.err().contains("following"));

        weights(m.address(), 3.0);

        assertThat(lines.awaitExit()).isZero();
        assertThat(lines.lines()).hasSize(2).anySatisfy(l -> assertThat(l)
                .matches("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\\s+weights\\.updated\\s+weights\\s+role weights updated: \\{etl=3.0}"))
                .anySatisfy(l -> assertThat(l).contains("audit.weights.update").contains(" weights ")
                        .contains("by anonymous from 127.0.0.1:").endsWith(": accepted"));
        assertThat(json.awaitExit()).isZero();
        List<ClusterEventView> events = new ArrayList<>();
        for (String l : json.lines()) {
            events.add(Json.read(l, ClusterEventView.class));
        }
        assertThat(events).extracting(ClusterEventView::type)
                .containsExactlyInAnyOrder("weights.updated", "audit.weights.update");
        assertThat(events).allSatisfy(e -> assertThat(e.id()).startsWith(m.masterId() + "-"));
    }

    @Test
    void followsTheLeaderAcrossAFailover() throws Exception {
        EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir.resolve("zk"), 0, Duration.ofMillis(200));
        toClose.push(zk);
        ZooKeeperUrl url = ZooKeeperUrl.parse(zk.masterUrl());
        Master first = master(options("m1").withZooKeeper(url, Duration.ofSeconds(2)));
        await().atMost(WAIT).until(first::isLeader);
        Master second = master(options("m2").withZooKeeper(url, Duration.ofSeconds(2)));
        String firstAddress = first.address();

        Run tail = new Run("events", "tail", "--master", zk.masterUrl(), "--type", "weights.updated", "-n", "2");
        await().atMost(WAIT).until(() -> tail.err().contains("following the events of master " + firstAddress));
        weights(zk.masterUrl(), 2.0);
        await().atMost(WAIT).until(() -> tail.lines().size() == 1);

        first.close();
        await().atMost(WAIT).until(second::isLeader);
        await().atMost(WAIT).until(() -> tail.err().contains("following the events of master " + second.address()));
        weights(zk.masterUrl(), 5.0);

        assertThat(tail.awaitExit()).isZero();
        assertThat(tail.lines()).hasSize(2);
        assertThat(tail.lines().get(0)).contains("{etl=2.0}");
        assertThat(tail.lines().get(1)).contains("{etl=5.0}");
        assertThat(tail.err()).contains("tower events: master " + firstAddress + " stopped leading");
    }

    @Test
    void fromBeginningNeedsAMasterThatPublishesToKafka() throws Exception {
        Master m = master(options("m"));
        Run tail = new Run("events", "tail", "--master", m.address(), "--from-beginning");
        assertThat(tail.awaitExit()).isEqualTo(2);
        assertThat(tail.err()).startsWith("--from-beginning: the master publishes no events to Kafka")
                .contains("start the master with --kafka BOOTSTRAP").doesNotContain("Exception");
        assertThat(tail.out()).isEmpty();
    }

    @Test
    void badTypesAndFlagsThatDoNotGoTogetherAreUsageErrors() throws Exception {
        Run bad = new Run("events", "tail", "--type", "task status");
        assertThat(bad.awaitExit()).isEqualTo(2);
        assertThat(bad.err()).contains("--type: 'task status' is not an event type");

        Run both = new Run("events", "tail", "--from-master", "--kafka", "127.0.0.1:9092");
        assertThat(both.awaitExit()).isEqualTo(2);
        assertThat(both.err()).contains("--from-master and --kafka exclude each other");

        Run history = new Run("events", "tail", "--from-master", "--from-beginning");
        assertThat(history.awaitExit()).isEqualTo(2);
        assertThat(history.err()).contains("--from-beginning: the master's live stream (--from-master) starts from now");

        Run topic = new Run("events", "tail", "--events-topic", "mine");
        assertThat(topic.awaitExit()).isEqualTo(2);
        assertThat(topic.err()).contains("--events-topic and --audit-topic go with --kafka");

        Run kafka = new Run("events", "tail", "--kafka", "kafka1");
        assertThat(kafka.awaitExit()).isEqualTo(1);
        assertThat(kafka.err()).contains("tower: Kafka bootstrap server 'kafka1' is not host:port");
    }
}
