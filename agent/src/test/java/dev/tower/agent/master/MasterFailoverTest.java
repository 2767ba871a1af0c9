package dev.tower.agent.master;

import dev.tower.api.agent.AgentCall;
import dev.tower.api.agent.AgentEvent;
import dev.tower.api.codec.Json;
import dev.tower.api.detect.LeaderInfo;
import dev.tower.api.detect.MasterDetector;
import dev.tower.api.detect.MasterUrls;
import dev.tower.api.detect.ZooKeeperUrl;
import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.Resources;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The agent's connection across master failovers: epoch fencing, and masters named by ZooKeeper. */
class MasterFailoverTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final MasterConnection.Timing FAST =
            new MasterConnection.Timing(Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(5));

    @TempDir
    Path workDir;
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    private final AtomicInteger subscribed = new AtomicInteger();

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

    private FakeMaster master(long epoch) throws Exception {
        FakeMaster m = closing(new FakeMaster());
        m.epoch = epoch;
        return m;
    }

    private MasterConnection connect(MasterDetector detector, MasterConnection.Timing timing) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        closing(timer::shutdownNow);
        MasterConnection c = new MasterConnection(detector, MasterConnection.defaultHttpClient(),
                new AgentIdFile(workDir),
                id -> new AgentCall.Subscribe(new AgentInfo(id, "127.0.0.1", 5051, Resources.cpusMem(1, 512), Map.of()),
                        List.of()),
                new MasterConnection.Listener() {
                    @Override
                    public void subscribed(String agentId) {
                        subscribed.incrementAndGet();
                    }

                    @Override
                    public void event(AgentEvent event) {
                    }
                }, timer, timing);
        closing(c);
        c.start();
        return c;
    }

    private static boolean heartbeatsReach(FakeMaster m) {
        return m.calls.stream().anyMatch(c -> c.call() instanceof AgentCall.Heartbeat
                && c.streamId() != null && c.streamId().equals(m.streamId()));
    }

    @Test
    void aMasterSubscribingAtALowerEpochThanOneSeenIsLeftAndAHigherOneAccepted() throws Exception {
        FakeMaster deposed = master(7);
        FakeMaster leader = master(8);
        MasterConnection connection = connect(closing(MasterUrls.detector(deposed.address() + "," + leader.address())),
                FAST);
        await().atMost(WAIT).until(() -> subscribed.get() == 1 && heartbeatsReach(deposed));

        // Leadership moved on while this master was cut off; it has not noticed yet and takes the agent back.
        deposed.epoch = 6;
        deposed.dropStream();
        await().atMost(WAIT).until(() -> deposed.subscriptions.size() >= 2);
        deposed.redirectTo = "http://" + leader.address() + "/api/v1/agent";
        deposed.refuseWith = 307; // from now on it knows

        await().atMost(WAIT).until(() -> connection.isSubscribed() && heartbeatsReach(leader));
        assertThat(subscribed).hasValue(2);
        assertThat(leader.subscriptions).singleElement()
                .satisfies(s -> assertThat(s.agentId()).isEqualTo("agent-1"));
    }

    @Test
    void withZooKeeperTheAgentSubscribesAsSoonAsALeaderIsElectedAndFollowsTheNextOne() throws Exception {
        TestingServer zk = closing(new TestingServer(true));
        ZooKeeperUrl url = ZooKeeperUrl.parse("zk://" + zk.getConnectString() + "/tower");
        CuratorFramework publisher = closing(CuratorFrameworkFactory.newClient(zk.getConnectString(), 10_000, 5_000,
                new RetryOneTime(100)));
        publisher.start();
        FakeMaster first = master(1);
        FakeMaster second = master(2);
        // Pauses of 10-20 s between attempts: only the detector's signal can make the agent subscribe within seconds.
        MasterConnection connection = connect(closing(MasterUrls.detector(url.toString())),
                new MasterConnection.Timing(Duration.ofSeconds(20), Duration.ofSeconds(20), Duration.ofSeconds(5)));
        await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> !connection.isSubscribed());

        publisher.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL)
                .forPath(url.leaderPath(), Json.writeBytes(new LeaderInfo("m-1", first.address(), 1)));
        await().atMost(Duration.ofSeconds(5)).until(() -> connection.isSubscribed() && heartbeatsReach(first));

        // The first master's stream stays open and beating: only the detector says to leave it.
        publisher.delete().forPath(url.leaderPath());
        publisher.create().withMode(CreateMode.EPHEMERAL)
                .forPath(url.leaderPath(), Json.writeBytes(new LeaderInfo("m-2", second.address(), 2)));

        await().atMost(Duration.ofSeconds(5)).until(() -> connection.isSubscribed() && heartbeatsReach(second));
        assertThat(subscribed).hasValue(2);
        assertThat(first.subscriptions).hasSize(1);
        assertThat(second.subscriptions).singleElement()
                .satisfies(s -> assertThat(s.agentId()).isEqualTo("agent-1"));
    }

    @Test
    void theConnectionStopsPromptlyWhileWaitingForALeader() throws Exception {
        TestingServer zk = closing(new TestingServer(true));
        MasterConnection connection = connect(closing(MasterUrls.detector("zk://" + zk.getConnectString() + "/none")),
                new MasterConnection.Timing(Duration.ofSeconds(20), Duration.ofSeconds(20), Duration.ofSeconds(5)));
        await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> !connection.isSubscribed());

        long start = System.nanoTime();
        connection.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        await().atMost(WAIT).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().equals("agent-master-connection")));
    }
}
