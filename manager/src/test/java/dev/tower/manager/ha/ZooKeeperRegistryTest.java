package dev.tower.manager.ha;

import dev.tower.api.detect.ZooKeeperUrl;
import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Resources;
import dev.tower.manager.core.RegistryChange;
import dev.tower.manager.core.RegistrySnapshot;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class ZooKeeperRegistryTest {
    private static TestingServer zk;
    private static CuratorFramework client;
    private static final AtomicInteger roots = new AtomicInteger();

    private ZooKeeperUrl url;
    private String fence;
    private final List<String> fenced = new ArrayList<>();
    private final List<ZooKeeperRegistry> opened = new ArrayList<>();

    @BeforeAll
    static void startZooKeeper() throws Exception {
        zk = new TestingServer(true);
        client = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100));
        client.start();
        client.blockUntilConnected(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stopZooKeeper() throws Exception {
        if (client != null) {
            client.close();
        }
        if (zk != null) {
            zk.close();
        }
    }

    @BeforeEach
    void fenceNode() throws Exception {
        url = ZooKeeperUrl.parse(zk.getConnectString() + "/registry-test-" + roots.incrementAndGet());
        fence = client.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL_SEQUENTIAL)
                .forPath(url.electionPath() + "/latch-");
    }

    @AfterEach
    void closeRegistries() {
        opened.forEach(ZooKeeperRegistry::close);
    }

    private ZooKeeperRegistry registry() {
        ZooKeeperRegistry r = new ZooKeeperRegistry(client, url, fence, fenced::add);
        opened.add(r);
        return r;
    }

    private static AgentInfo agent(String id, double cpus) {
        return new AgentInfo(id, "host-" + id, 5051, Resources.cpusMem(cpus, 1024), Map.of("rack", "r1"));
    }

    private static FrameworkInfo framework(String id) {
        return new FrameworkInfo(id, "fw-" + id, "etl", "p", "u", "h", 600.0, List.of("PARTITION_AWARE"));
    }

    private static void flush(ZooKeeperRegistry r) throws Exception {
        r.flush().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aNewRegistryIsEmpty() {
        RegistrySnapshot loaded = registry().load();
        assertThat(loaded.agents()).isEmpty();
        assertThat(loaded.frameworks()).isEmpty();
        assertThat(loaded.weights()).isEmpty();
    }

    @Test
    void everyKindOfEntityIsWrittenOneNodeEachAndLoadedBack() throws Exception {
        ZooKeeperRegistry r = registry();
        r.load();
        r.apply(new RegistryChange.AgentSaved(agent("a1", 4)));
        r.apply(new RegistryChange.AgentSaved(agent("a2", 2)));
        r.apply(new RegistryChange.AgentSaved(agent("a1", 8))); // re-registered with more cpus
        r.apply(new RegistryChange.FrameworkSaved(framework("f1")));
        r.apply(new RegistryChange.FrameworkSaved(framework("f2"), 1_700_000_000_000L));
        r.apply(new RegistryChange.WeightsSaved(Map.of("etl", 3.0, "adhoc", 1.0)));
        flush(r);

        assertThat(client.getChildren().forPath(url.registryPath() + "/agents")).containsExactlyInAnyOrder("a1", "a2");
        assertThat(client.getChildren().forPath(url.registryPath() + "/frameworks"))
                .containsExactlyInAnyOrder("f1", "f2");

        RegistrySnapshot loaded = registry().load();
        assertThat(loaded.agents()).containsOnlyKeys("a1", "a2");
        assertThat(loaded.agents().get("a1")).isEqualTo(agent("a1", 8));
        assertThat(loaded.frameworks().get("f1")).isEqualTo(new RegistrySnapshot.SavedFramework(framework("f1"), 0));
        assertThat(loaded.frameworks().get("f2").failoverDeadline()).isEqualTo(1_700_000_000_000L);
        assertThat(loaded.weights()).isEqualTo(Map.of("etl", 3.0, "adhoc", 1.0));
    }

    @Test
    void removalsDeleteTheNodesAndRemovingWhatIsNotThereIsFine() throws Exception {
        ZooKeeperRegistry r = registry();
        r.apply(new RegistryChange.AgentSaved(agent("a1", 4)));
        r.apply(new RegistryChange.FrameworkSaved(framework("f1")));
        r.apply(new RegistryChange.AgentRemoved("a1"));
        r.apply(new RegistryChange.AgentRemoved("never-there"));
        r.apply(new RegistryChange.FrameworkRemoved("f1"));
        r.apply(new RegistryChange.AgentSaved(agent("a3", 1)));
        flush(r);

        RegistrySnapshot loaded = registry().load();
        assertThat(loaded.agents()).containsOnlyKeys("a3");
        assertThat(loaded.frameworks()).isEmpty();
        assertThat(fenced).isEmpty();
    }

    @Test
    void writesKeepTheirOrder() throws Exception {
        ZooKeeperRegistry r = registry();
        for (int i = 0; i < 50; i++) {
            r.apply(new RegistryChange.AgentSaved(agent("a" + (i % 5), i + 1)));
            if (i % 7 == 0) {
                r.apply(new RegistryChange.AgentRemoved("a" + (i % 5)));
            }
        }
        flush(r);

        // The last word on each agent: a0..a3 saved last at i = 45..48 (i + 1 cpus); a4 removed at i = 49.
        RegistrySnapshot loaded = registry().load();
        assertThat(loaded.agents()).containsOnlyKeys("a0", "a1", "a2", "a3");
        for (int k = 0; k < 4; k++) {
            assertThat(loaded.agents().get("a" + k).resources().cpus()).isEqualTo(46 + k);
        }
    }

    @Test
    void idsCannotReachOutsideTheirFolder() throws Exception {
        ZooKeeperRegistry r = registry();
        r.apply(new RegistryChange.AgentSaved(agent("../../evil/x", 1)));
        r.apply(new RegistryChange.AgentSaved(agent("..", 1)));
        flush(r);

        assertThat(client.checkExists().forPath(url.root() + "/evil")).isNull();
        assertThat(registry().load().agents()).containsOnlyKeys("../../evil/x", "..");
    }

    @Test
    void aWriteOnceTheElectionNodeIsGoneFailsFencesTheRegistryAndTellsItsOwner() throws Exception {
        ZooKeeperRegistry r = registry();
        r.apply(new RegistryChange.AgentSaved(agent("a1", 4)));
        flush(r);

        client.delete().forPath(fence); // this master is no longer the leader
        r.apply(new RegistryChange.AgentSaved(agent("a1", 99)));
        r.apply(new RegistryChange.AgentSaved(agent("a2", 1)));
        flush(r);

        assertThat(r.isFenced()).isTrue();
        assertThat(fenced).singleElement().asString().contains(fence).contains("is gone");
        RegistrySnapshot loaded = registry().load();
        assertThat(loaded.agents()).containsOnlyKeys("a1");
        assertThat(loaded.agents().get("a1").resources().cpus()).isEqualTo(4);
    }

    @Test
    void aWriteOfAMasterWhoseSessionExpiredIsFenced() throws Exception {
        try (CuratorFramework other = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100))) {
            other.start();
            other.blockUntilConnected(10, TimeUnit.SECONDS);
            String otherFence = other.create().withMode(CreateMode.EPHEMERAL_SEQUENTIAL)
                    .forPath(url.electionPath() + "/latch-");
            List<String> otherFenced = new ArrayList<>();
            ZooKeeperRegistry r = new ZooKeeperRegistry(other, url, otherFence, otherFenced::add);
            opened.add(r);

            Sessions.expire(other, zk.getConnectString());
            r.apply(new RegistryChange.WeightsSaved(Map.of("etl", 9.0)));
            flush(r);

            assertThat(otherFenced).hasSize(1);
            assertThat(registry().load().weights()).isEmpty();
        }
    }
}
