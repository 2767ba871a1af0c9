package dev.tower.manager.ha;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Test help for ZooKeeper sessions. */
public final class Sessions {
    private Sessions() {
    }

    /**
     * Ends {@code client}'s session as its expiry would: on the server (its ephemeral nodes go at once), then in the
     * client, which otherwise might not notice for a while.
     */
    public static void expire(CuratorFramework client, String connectString) throws Exception {
        ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper twin = new ZooKeeper(connectString, 10_000, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        }, zk.getSessionId(), zk.getSessionPasswd());
        try {
            if (!connected.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("could not attach to session " + Long.toHexString(zk.getSessionId()));
            }
        } finally {
            twin.close(); // waits for the server to close the session
        }
        zk.getTestable().injectSessionExpiration();
    }
}
