package dev.tower.cli.cluster;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class EmbeddedZooKeeperTest {
    @TempDir
    Path dir;
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();

    @AfterEach
    void closeAll() throws Exception {
        while (!toClose.isEmpty()) {
            toClose.pop().close();
        }
    }

    private CuratorFramework connect(EmbeddedZooKeeper zk, int sessionTimeoutMs) throws InterruptedException {
        CuratorFramework client = CuratorFrameworkFactory.newClient(zk.connectString(), sessionTimeoutMs, 1_000,
                new RetryOneTime(100));
        toClose.push(client);
        client.start();
        assertThat(client.blockUntilConnected(10, TimeUnit.SECONDS)).as("connected to " + zk).isTrue();
        return client;
    }

    @Test
    void servesClientsOnLoopbackAndReleasesItsPortWhenClosed() throws Exception {
        EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir.resolve("zk"), 0);
        toClose.push(zk);
        int port = zk.port();
        assertThat(port).isPositive();
        assertThat(zk.connectString()).isEqualTo("127.0.0.1:" + port);
        assertThat(zk.masterUrl()).isEqualTo("zk://127.0.0.1:" + port + "/tower");

        CuratorFramework client = connect(zk, 2_000);
        client.create().creatingParentsIfNeeded().forPath("/tower/test", "hello".getBytes(StandardCharsets.UTF_8));
        client.create().withMode(CreateMode.EPHEMERAL).forPath("/tower/gone", new byte[0]);
        assertThat(new String(client.getData().forPath("/tower/test"), StandardCharsets.UTF_8)).isEqualTo("hello");
        // A 500 ms tick allows sessions of 1-10 s: the 2 s asked for is granted as is (4 s is ZooKeeper's default minimum).
        assertThat(client.getZookeeperClient().getZooKeeper().getSessionTimeout()).isEqualTo(2_000);
        client.close();

        zk.close();
        zk.close(); // twice is harmless
        await().atMost(Duration.ofSeconds(5)).until(() -> serverThreads().isEmpty());

        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        }

        // The same port and directory again: persistent data is back, the ephemeral node went with its session.
        EmbeddedZooKeeper again = EmbeddedZooKeeper.start(dir.resolve("zk"), port);
        toClose.push(again);
        CuratorFramework reader = connect(again, 2_000);
        assertThat(new String(reader.getData().forPath("/tower/test"), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(reader.checkExists().forPath("/tower/gone")).isNull();
    }

    /** Threads of a ZooKeeper server: its request pipeline, session tracker and connection handling. */
    private static java.util.List<String> serverThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("SessionTracker") || n.startsWith("SyncThread") || n.startsWith("ProcessThread")
                        || n.startsWith("NIOServerCxnFactory") || n.startsWith("NIOWorkerThread")
                        || n.startsWith("ConnnectionExpirer") || n.startsWith("RequestThrottler"))
                .toList();
    }

    @Test
    void theTickTimeBoundsSessions() throws Exception {
        EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir.resolve("zk"), 0, Duration.ofMillis(200));
        toClose.push(zk);

        CuratorFramework client = connect(zk, 60_000);

        assertThat(client.getZookeeperClient().getZooKeeper().getSessionTimeout()).isEqualTo(20 * 200);
    }

    @Test
    void aPortInUseIsNamed() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> EmbeddedZooKeeper.start(dir.resolve("zk"), port))
                    .isInstanceOf(java.io.UncheckedIOException.class)
                    .hasMessageContaining("cannot start ZooKeeper on 127.0.0.1, port " + port);
        }
    }
}
