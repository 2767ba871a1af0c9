package dev.tower.api.detect;

import dev.tower.api.codec.Json;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;

import java.util.concurrent.TimeUnit;

/** Plays the elected master's part in ZooKeeper for tests: publishes and withdraws its LeaderInfo, as an ephemeral node. */
public final class LeaderPublisher implements AutoCloseable {
    private final ZooKeeperUrl url;
    private final CuratorFramework client;

    public LeaderPublisher(ZooKeeperUrl url) throws InterruptedException {
        this.url = url;
        this.client = CuratorFrameworkFactory.newClient(url.connectString(), 10_000, 5_000, new RetryOneTime(100));
        client.start();
        if (!client.blockUntilConnected(10, TimeUnit.SECONDS)) {
            client.close();
            throw new IllegalStateException("test ZooKeeper at " + url.connectString() + " not reachable");
        }
    }

    public ZooKeeperUrl url() {
        return url;
    }

    /** Replaces whatever leader is published with this one. */
    public void publish(String masterId, String address, long epoch) throws Exception {
        write(Json.writeBytes(new LeaderInfo(masterId, address, epoch)));
    }

    public void write(byte[] data) throws Exception {
        withdraw();
        client.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(url.leaderPath(), data);
    }

    public void withdraw() throws Exception {
        if (client.checkExists().forPath(url.leaderPath()) != null) {
            client.delete().forPath(url.leaderPath());
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
