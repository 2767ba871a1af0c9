package dev.tower.manager.ha;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.ZooKeeper;

/** Test help for ZooKeeper sessions. */
public final class Sessions {
    private Sessions() {
    }

    /**
     * Ends {@code client}'s session on the server, as its expiry would: its ephemeral nodes go at once, and the
     * client learns on its next contact that its session expired.
     */
    public static void expire(CuratorFramework client, String connectString) throws Exception {
        ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
        ZooKeeper twin = new ZooKeeper(connectString, 10_000, event -> {
        }, zk.getSessionId(), zk.getSessionPasswd());
        twin.close();
    }
}
