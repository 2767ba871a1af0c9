package dev.tower.api.client;

import dev.tower.api.detect.LeaderPublisher;
import dev.tower.api.detect.MasterDetector;
import dev.tower.api.detect.MasterUrls;
import dev.tower.api.detect.ZooKeeperUrl;
import dev.tower.api.model.FrameworkInfo;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/** The CLI's calls and the scheduler client with masters named by ZooKeeper ({@code zk://…}). */
class ZooKeeperClientsTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final AtomicInteger roots = new AtomicInteger();
    private static TestingServer zk;

    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    private final RecordingScheduler scheduler = new RecordingScheduler();
    private String url;
    private LeaderPublisher zkLeader;

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

    private <T extends AutoCloseable> T closing(T resource) {
        toClose.push(resource);
        return resource;
    }

    /** A fresh Tower root in the shared ZooKeeper, and the hand that publishes its leader. */
    private void freshCluster() throws InterruptedException {
        url = "zk://" + zk.getConnectString() + "/tower-c" + roots.incrementAndGet();
        zkLeader = closing(new LeaderPublisher(ZooKeeperUrl.parse(url)));
    }

    private FakeMaster master() throws IOException {
        return closing(FakeMaster.start());
    }

    private MasterDetector detector() {
        return closing(MasterUrls.detector(url));
    }

    @Test
    void masterHttpCallsTheLeaderPublishedInZooKeeper() throws Exception {
        freshCluster();
        FakeMaster leader = master();
        leader.route("/api/v1/state", 200, "{\"leader\":\"me\"}");
        zkLeader.publish("m-1", leader.address(), 1);

        assertThat(new MasterHttp(detector()).get("/api/v1/state")).isEqualTo("{\"leader\":\"me\"}");
    }

    @Test
    void masterHttpSaysNoLeaderIsElectedOnceItsTimeoutIsOver() throws Exception {
        freshCluster();
        MasterHttp http = new MasterHttp(detector(), HttpClient.newHttpClient(), Duration.ofMillis(700));

        Throwable t = catchThrowable(() -> http.get("/api/v1/state"));

        assertThat(t).isInstanceOf(MasterUnavailableException.class)
                .hasMessage("no leading master elected in " + url + " (nothing at "
                        + ZooKeeperUrl.parse(url).leaderPath() + ")");
    }

    @Test
    void masterHttpCallsALeaderAsSoonAsItIsElectedNotWhenItsPauseEnds() throws Exception {
        freshCluster();
        FakeMaster leader = master();
        leader.route("/api/v1/state", 200, "{\"leader\":\"new\"}");
        // Pauses of 10-20 s between rounds: only the detector's signal can make the call finish within seconds.
        MasterHttp http = new MasterHttp(detector(), HttpClient.newHttpClient(), Duration.ofSeconds(30),
                () -> new Backoff(Duration.ofSeconds(20), Duration.ofSeconds(20)));
        CompletableFuture<String> reply = CompletableFuture.supplyAsync(() -> http.get("/api/v1/state"));
        await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> !reply.isDone());

        zkLeader.publish("m-2", leader.address(), 2);

        assertThat(reply.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("{\"leader\":\"new\"}");
    }

    @Test
    void theSchedulerClientSubscribesAsSoonAsALeaderIsElected() throws Exception {
        freshCluster();
        FakeMaster leader = master();
        SchedulerClient client = closing(SchedulerClient.builder(detector(), FrameworkInfo.named("zk", "*"), scheduler)
                .backoff(Duration.ofSeconds(20), Duration.ofSeconds(20)).build()).start();
        await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> !client.isSubscribed());

        zkLeader.publish("m-1", leader.address(), 1);

        leader.awaitStream().subscribed("fw-z", "stream-z", 15, 1);
        assertThat(client.awaitSubscribed(WAIT)).isTrue();
    }

    @Test
    void theSchedulerClientLeavesAMasterAsSoonAsAnotherIsPublishedAsLeader() throws Exception {
        freshCluster();
        FakeMaster old = master();
        FakeMaster next = master();
        zkLeader.publish("m-old", old.address(), 4);
        SchedulerClient client = closing(SchedulerClient.builder(detector(), FrameworkInfo.named("zk", "*"), scheduler)
                .build()).start();
        old.awaitStream().subscribed("fw-y", "stream-old", 15, 4);
        assertThat(client.awaitSubscribed(WAIT)).isTrue();

        // The old master's stream stays open and would beat for a long while yet: only the detector says to leave.
        zkLeader.publish("m-next", next.address(), 5);

        FakeMaster.Stream stream = next.awaitStream();
        assertThat(stream.subscribe().framework().id()).isEqualTo("fw-y");
        stream.subscribed("fw-y", "stream-next", 15, 5);
        await().atMost(WAIT).until(() -> scheduler.events.size() == 3);
        assertThat(scheduler.events).containsExactly("subscribed fw-y", "disconnected", "subscribed fw-y reconnected");
        assertThat(old.subscriptions()).isEqualTo(1);
    }
}
