package dev.tower.api.detect;

import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

class ZooKeeperMasterDetectorTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static TestingServer zk;
    private static final AtomicInteger roots = new AtomicInteger();

    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();

    @BeforeAll
    static void startZooKeeper() throws Exception {
        zk = new TestingServer(true);
    }

    @AfterAll
    static void stopZooKeeper() throws IOException {
        zk.close();
    }

    @AfterEach
    void closeAll() throws Exception {
        while (!toClose.isEmpty()) {
            toClose.pop().close();
        }
    }

    private <T extends AutoCloseable> T closing(T c) {
        toClose.push(c);
        return c;
    }

    /** A fresh Tower root per test, so that tests never see each other's leaders. */
    private String freshUrl() {
        return "zk://" + zk.getConnectString() + "/tower-" + roots.incrementAndGet();
    }

    private LeaderPublisher publisher(String url) throws InterruptedException {
        return closing(new LeaderPublisher(ZooKeeperUrl.parse(url)));
    }

    private MasterDetector detector(String url) {
        return closing(MasterUrls.detector(url));
    }

    @Test
    void theMasterUrlsOfZooKeeperGiveADetectorThatConnectsOnlyWhenUsed() {
        long before = zooKeeperClientThreads();
        MasterDetector d = MasterUrls.detector("zk://127.0.0.1:2999,127.0.0.2:2999/tower/prod");
        assertThat(d).isInstanceOf(ZooKeeperMasterDetector.class).hasToString("zk://127.0.0.1:2999,127.0.0.2:2999/tower/prod");
        assertThat(zooKeeperClientThreads()).isEqualTo(before);
        d.close(); // never started: nothing to stop
        assertThatThrownBy(() -> MasterUrls.detector("zk://h1:port/tower")).hasMessageContaining("h1:port");
    }

    @Test
    void thePublishedLeaderIsTheOnlyCandidate() throws Exception {
        String url = freshUrl();
        publisher(url).publish("m-1", "127.0.0.1:5051", 3);

        ZooKeeperMasterDetector d = (ZooKeeperMasterDetector) detector(url);

        assertThat(d.candidates()).containsExactly(URI.create("http://127.0.0.1:5051"));
        assertThat(d.leader()).contains(new LeaderInfo("m-1", "127.0.0.1:5051", 3));
    }

    @Test
    void aNewLeaderIsFollowedAndSignalled() throws Exception {
        String url = freshUrl();
        LeaderPublisher zkLeader = publisher(url);
        zkLeader.publish("m-1", "127.0.0.1:5051", 1);
        MasterDetector d = detector(url);
        assertThat(d.candidates()).containsExactly(URI.create("http://127.0.0.1:5051"));
        AtomicInteger calls = new AtomicInteger();
        d.onLeaderChange(calls::incrementAndGet);
        long seen = d.leaderChanges();

        zkLeader.publish("m-2", "127.0.0.1:5052", 2); // deleted and re-created: the same node version as before

        assertThat(d.awaitLeaderChange(seen, WAIT)).isTrue();
        await().atMost(WAIT).until(() -> d.candidates().equals(List.of(URI.create("http://127.0.0.1:5052"))));
        await().atMost(WAIT).until(() -> calls.get() >= 1);
        assertThat(d.leaderChanges()).isGreaterThan(seen);
    }

    @Test
    void withNoLeaderPublishedCandidatesSaySoUntilOneIs() throws Exception {
        String url = freshUrl();
        MasterDetector d = detector(url);

        Throwable t = catchThrowable(d::candidates);

        assertThat(t).isInstanceOf(NoLeaderException.class)
                .hasMessage("no leading master elected in " + url + " (nothing at " + ZooKeeperUrl.parse(url).root()
                        + "/leader/current)");
        long seen = d.leaderChanges();
        assertThat(d.awaitLeaderChange(seen, Duration.ofMillis(200))).isFalse();

        publisher(url).publish("m-1", "10.0.0.7:5050", 5);

        assertThat(d.awaitLeaderChange(seen, WAIT)).isTrue();
        assertThat(d.candidates()).containsExactly(URI.create("http://10.0.0.7:5050"));
    }

    @Test
    void aWithdrawnLeaderLeavesNoCandidate() throws Exception {
        String url = freshUrl();
        LeaderPublisher zkLeader = publisher(url);
        zkLeader.publish("m-1", "127.0.0.1:5051", 1);
        MasterDetector d = detector(url);
        assertThat(d.candidates()).hasSize(1);

        zkLeader.close(); // the leader's session ends: its ephemeral node goes

        await().atMost(WAIT).untilAsserted(() -> assertThatThrownBy(d::candidates)
                .isInstanceOf(NoLeaderException.class).hasMessageStartingWith("no leading master elected in " + url));
    }

    @Test
    void anUnreadableRecordIsReportedNotReturned() throws Exception {
        String url = freshUrl();
        publisher(url).write("not json".getBytes(StandardCharsets.UTF_8));
        MasterDetector d = detector(url);

        assertThatThrownBy(d::candidates).isInstanceOf(NoLeaderException.class)
                .hasMessageStartingWith("unreadable leader record at ")
                .hasMessageContaining(url);
    }

    @Test
    void zooKeeperDownFailsWithinTheConnectTimeoutNamingTheServers() {
        int port = closedPort();
        ZooKeeperMasterDetector d = closing(new ZooKeeperMasterDetector(
                ZooKeeperUrl.parse("zk://127.0.0.1:" + port + "/tower"), Duration.ofMillis(1000)));

        long start = System.nanoTime();
        Throwable t = catchThrowable(d::candidates);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(t).isInstanceOf(NoLeaderException.class)
                .hasMessageStartingWith("cannot reach ZooKeeper at 127.0.0.1:" + port + " (zk://127.0.0.1:" + port
                        + "/tower)");
        assertThat(took).isBetween(Duration.ofMillis(900), Duration.ofSeconds(5));
        // Only the first call waits: clients retrying with backoff get the answer at once.
        start = System.nanoTime();
        assertThatThrownBy(d::candidates).isInstanceOf(NoLeaderException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(500));
    }

    @Test
    void closeStopsTheZooKeeperClient() throws Exception {
        String url = freshUrl();
        publisher(url).publish("m-1", "127.0.0.1:5051", 1);
        MasterDetector d = MasterUrls.detector(url);
        long before = zooKeeperClientThreads();
        assertThat(d.candidates()).hasSize(1);
        assertThat(zooKeeperClientThreads()).isGreaterThan(before);

        d.close();

        await().atMost(WAIT).until(() -> zooKeeperClientThreads() == before);
        assertThatThrownBy(d::candidates).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    /** ZooKeeper client connections each have one SendThread, named after the server it talks to. */
    private static long zooKeeperClientThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().contains("-SendThread(")).count();
    }

    private static int closedPort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
