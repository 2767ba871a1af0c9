package dev.tower.manager.ha;

import dev.tower.api.codec.Json;
import dev.tower.api.detect.LeaderInfo;
import dev.tower.api.detect.ZooKeeperUrl;
import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.Resources;
import dev.tower.manager.core.RegistryChange;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ZooKeeperLeadershipTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static TestingServer zk;
    private static CuratorFramework admin;
    private static final AtomicInteger roots = new AtomicInteger();

    private ZooKeeperUrl url;
    private final List<ZooKeeperLeadership> started = new ArrayList<>();

    /** Records what the election tells a master. */
    static final class Recorder implements ZooKeeperLeadership.Listener {
        final List<String> log = new CopyOnWriteArrayList<>();
        volatile ZooKeeperRegistry registry;

        @Override
        public void elected(long epoch, ZooKeeperRegistry r) {
            r.load();
            registry = r;
            log.add("elected " + epoch);
        }

        @Override
        public void deposed(String why) {
            log.add("deposed: " + why);
        }
    }

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
        url = ZooKeeperUrl.parse("zk://" + zk.getConnectString() + "/election-test-" + roots.incrementAndGet());
    }

    @AfterEach
    void closeAll() {
        started.forEach(ZooKeeperLeadership::close);
    }

    private ZooKeeperLeadership start(String id, Recorder recorder) {
        return start(url, id, recorder);
    }

    private ZooKeeperLeadership start(ZooKeeperUrl at, String id, Recorder recorder) {
        ZooKeeperLeadership l = new ZooKeeperLeadership(at, Duration.ofSeconds(10), id, "127.0.0.1:" + (5000 + started.size()),
                recorder);
        started.add(l);
        l.start();
        return l;
    }

    private ZooKeeperLeadership awaitOneLeader(List<ZooKeeperLeadership> among) {
        await().atMost(WAIT).until(() -> among.stream().filter(ZooKeeperLeadership::isLeading).count() == 1
                && among.stream().allMatch(l -> l.leader().isPresent()));
        return among.stream().filter(ZooKeeperLeadership::isLeading).findFirst().orElseThrow();
    }

    private LeaderInfo published() throws Exception {
        return Json.read(admin.getData().forPath(url.leaderPath()), LeaderInfo.class);
    }

    @Test
    void oneOfTwoLeadsWithTheSequenceOfItsNodeAsEpochAndPublishesItself() throws Exception {
        Recorder ra = new Recorder();
        Recorder rb = new Recorder();
        ZooKeeperLeadership a = start("master-a", ra);
        ZooKeeperLeadership b = start("master-b", rb);

        ZooKeeperLeadership leader = awaitOneLeader(List.of(a, b));
        ZooKeeperLeadership standby = leader == a ? b : a;

        assertThat(leader.epoch()).isEqualTo(ZooKeeperLeadership.sequence(leader.fencePath()));
        LeaderInfo info = published();
        assertThat(info.epoch()).isEqualTo(leader.epoch());
        assertThat(info.masterId()).isEqualTo(leader == a ? "master-a" : "master-b");
        assertThat(admin.checkExists().forPath(url.leaderPath()).getEphemeralOwner())
                .isEqualTo(leader.client().getZookeeperClient().getZooKeeper().getSessionId());
        await().atMost(WAIT).until(() -> standby.leader().equals(java.util.Optional.of(info)));
        assertThat(standby.isLeading()).isFalse();
        assertThat(standby.epoch()).isEqualTo(-1);
        assertThat(standby.standbyReason()).contains("the leader is " + info.address());
        assertThat((leader == a ? ra : rb).log).containsExactly("elected " + leader.epoch());
        assertThat((leader == a ? rb : ra).log).isEmpty();
    }

    @Test
    void closingTheLeaderHandsOverToTheOtherWithAHigherEpoch() throws Exception {
        Recorder ra = new Recorder();
        Recorder rb = new Recorder();
        ZooKeeperLeadership a = start("master-a", ra);
        ZooKeeperLeadership b = start("master-b", rb);
        ZooKeeperLeadership first = awaitOneLeader(List.of(a, b));
        ZooKeeperLeadership second = first == a ? b : a;
        long firstEpoch = first.epoch();

        first.close();

        await().atMost(WAIT).until(second::isLeading);
        assertThat(second.epoch()).isGreaterThan(firstEpoch);
        await().atMost(WAIT).until(() -> published().masterId().equals(second == a ? "master-a" : "master-b"));
        assertThat((first == a ? ra : rb).log).last().asString().contains("shutting down");
    }

    @Test
    void aLeaderWhoseElectionNodeIsRemovedIsDeposedItsWritesFailAndItContendsAgain() throws Exception {
        Recorder ra = new Recorder();
        Recorder rb = new Recorder();
        ZooKeeperLeadership a = start("master-a", ra);
        ZooKeeperLeadership b = start("master-b", rb);
        ZooKeeperLeadership first = awaitOneLeader(List.of(a, b));
        ZooKeeperLeadership second = first == a ? b : a;
        Recorder firstRecorder = first == a ? ra : rb;
        ZooKeeperRegistry firstRegistry = firstRecorder.registry;
        long firstEpoch = first.epoch();

        admin.delete().forPath(first.fencePath());
        firstRegistry.apply(new RegistryChange.AgentSaved(
                new AgentInfo("agent-1", "h", 5051, Resources.cpusMem(1, 1), Map.of())));
        firstRegistry.flush().get(10, TimeUnit.SECONDS);

        assertThat(firstRegistry.isFenced()).isTrue();
        assertThat(admin.checkExists().forPath(url.registryPath() + "/agents/agent-1")).isNull();
        await().atMost(WAIT).until(() -> !first.isLeading() && second.isLeading());
        assertThat(second.epoch()).isGreaterThan(firstEpoch);
        assertThat(firstRecorder.log).hasSize(2).last().asString().startsWith("deposed: ");
        // Back in the election, as a standby that follows the new leader.
        await().atMost(WAIT).until(() -> first.leader().map(LeaderInfo::epoch).orElse(-1L) == second.epoch());
        assertThat(admin.getChildren().forPath(url.electionPath())).hasSize(2);
    }

    @Test
    void aLeaderWhoseSessionExpiresIsDeposedAndContendsAgainWithANewSession() throws Exception {
        Recorder ra = new Recorder();
        Recorder rb = new Recorder();
        ZooKeeperLeadership a = start("master-a", ra);
        ZooKeeperLeadership b = start("master-b", rb);
        ZooKeeperLeadership first = awaitOneLeader(List.of(a, b));
        ZooKeeperLeadership second = first == a ? b : a;
        Recorder firstRecorder = first == a ? ra : rb;

        Sessions.expire(first.client(), zk.getConnectString());

        await().atMost(WAIT).until(() -> !first.isLeading() && second.isLeading());
        assertThat(firstRecorder.log).last().asString().isEqualTo("deposed: the ZooKeeper session was lost");
        await().atMost(WAIT).until(() -> first.isConnected()
                && admin.getChildren().forPath(url.electionPath()).size() == 2);
        assertThat(first.isLeading()).isFalse();
    }

    @Test
    void startReturnsAtOnceWhenZooKeeperCannotBeReachedAndTheMasterStaysStandby() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Recorder r = new Recorder();
        long t0 = System.nanoTime();
        ZooKeeperLeadership l = start(ZooKeeperUrl.parse("127.0.0.1:" + closedPort + "/tower"), "master-x", r);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));

        assertThat(l.isLeading()).isFalse();
        assertThat(l.connectionState()).isEqualTo("CONNECTING");
        assertThat(l.standbyReason()).startsWith("cannot reach ZooKeeper at zk://127.0.0.1:" + closedPort + "/tower");
        long t1 = System.nanoTime();
        l.close();
        assertThat(Duration.ofNanos(System.nanoTime() - t1)).isLessThan(Duration.ofSeconds(5));
        assertThat(r.log).isEmpty();
    }
}
