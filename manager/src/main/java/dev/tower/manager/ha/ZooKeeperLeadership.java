package dev.tower.manager.ha;

import dev.tower.api.codec.Json;
import dev.tower.api.detect.LeaderInfo;
import dev.tower.api.detect.ZooKeeperUrl;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.SessionConnectionStateErrorPolicy;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One master's part in the election of the leading master, through ZooKeeper.
 * <p>
 * Every master contends with a Curator {@link LeaderLatch} at {@link ZooKeeperUrl#electionPath()}. The client uses
 * {@link SessionConnectionStateErrorPolicy}: a leader keeps leading through a short disconnection and stops when its
 * session is lost. The leader's <em>epoch</em> is the sequence number of its own latch node, so it grows from one
 * leader to the next. Once elected, the master is told ({@link Listener#elected}) and gets a
 * {@link ZooKeeperRegistry} fenced by its latch node; when it is ready it publishes a {@link LeaderInfo} as an
 * ephemeral node at {@link ZooKeeperUrl#leaderPath()}, in a transaction that checks that its latch node still
 * exists, so a deposed master cannot publish.
 * <p>
 * The master stops leading ({@link Listener#deposed}) when its session is lost, when a fenced registry write fails,
 * when its latch node disappears, or when publishing fails; it then contends again with a new latch node (a new,
 * higher epoch), as a standby. The process never exits for it.
 * <p>
 * Every master, leader or not, follows the published {@link LeaderInfo} ({@link #leader()}), which standbys
 * redirect clients to. All election work runs on one thread, in order.
 */
public final class ZooKeeperLeadership implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperLeadership.class);

    /** What the master does as leadership comes and goes. Both are called on the election thread. */
    public interface Listener {
        /**
         * This master has been elected: load {@code registry}, start serving with {@code epoch}, and return. The
         * registry (to be closed by the listener when done with it) is fenced by this election. If this throws,
         * the master gives up the leadership and contends again.
         */
        void elected(long epoch, ZooKeeperRegistry registry) throws Exception;

        /** This master no longer leads: stop serving at once. Not called without an {@link #elected} first. */
        void deposed(String why);
    }

    private final ZooKeeperUrl url;
    private final String masterId;
    private final String address;
    private final Listener listener;
    private final CuratorFramework client;
    /** This master's address under {@link ZooKeeperUrl#mastersPath()}. */
    private final PersistentNode presence;
    private final Watcher leaderWatcher = event -> {
        if (event.getType() != Watcher.Event.EventType.None) {
            watchLeader();
        }
    };
    private final ExecutorService thread;

    // Touched on the election thread only.
    private LeaderLatch latch;

    private volatile boolean started;
    private volatile boolean closed;
    private volatile boolean leading;
    private volatile long epoch = -1;
    private volatile String fencePath;
    private volatile LeaderInfo leader;
    private volatile ConnectionState connection;
    private volatile Instant connectionSince = Instant.now();
    private volatile String lastDeposed;

    /**
     * @param masterId this master's id, published when it leads
     * @param address this master's {@code host:port}, published when it leads
     */
    public ZooKeeperLeadership(ZooKeeperUrl url, Duration sessionTimeout, String masterId, String address,
                               Listener listener) {
        this.url = url;
        this.masterId = masterId;
        this.address = address;
        this.listener = listener;
        int session = (int) Math.min(Integer.MAX_VALUE, sessionTimeout.toMillis());
        this.client = CuratorFrameworkFactory.builder()
                .connectString(url.connectString())
                .sessionTimeoutMs(session)
                .connectionTimeoutMs(Math.min(session, 15_000))
                .retryPolicy(new ExponentialBackoffRetry(100, 3, 1000))
                .connectionStateErrorPolicy(new SessionConnectionStateErrorPolicy())
                // The servers named in --zk are the ones to use, as for every Tower client: Curator would otherwise
                // switch to the addresses the ensemble reports of itself, which may not be reachable from here.
                .ensembleTracker(false)
                .build();
        // Re-created by Curator after a session loss, removed with the session when this master dies.
        this.presence = new PersistentNode(client, CreateMode.EPHEMERAL, false, url.mastersPath() + "/" + masterId,
                address.getBytes(StandardCharsets.UTF_8));
        String name = "tower-election-" + masterId;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts contending. Returns at once, even if ZooKeeper cannot be reached (the client keeps trying). */
    public void start() {
        started = true;
        client.getConnectionStateListenable().addListener((c, state) -> {
            connection = state;
            connectionSince = Instant.now();
            log.info("ZooKeeper {}: {}", url, state);
            if (state.isConnected()) {
                watchLeader(); // watches do not outlive a session
            }
        });
        client.start();
        presence.start();
        run(this::contend);
    }

    /**
     * The addresses of every master announced in ZooKeeper, this one included; empty while not connected. A web UI
     * page remembers them, to find the new leader when the master it was served by is gone.
     */
    public List<String> masters() {
        if (!isConnected()) {
            return List.of();
        }
        try {
            List<String> out = new ArrayList<>();
            for (String child : client.getChildren().forPath(url.mastersPath())) {
                try {
                    out.add(new String(client.getData().forPath(url.mastersPath() + "/" + child),
                            StandardCharsets.UTF_8));
                } catch (KeeperException.NoNodeException gone) {
                    // that master left between the two reads
                }
            }
            out.sort(null);
            return out;
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        } catch (Exception e) {
            log.debug("cannot list the masters: {}", e.toString());
            return List.of();
        }
    }

    // ==== state, read from any thread =============================================================================

    public boolean isLeading() {
        return leading;
    }

    /** This master's epoch while it leads, else -1. */
    public long epoch() {
        return epoch;
    }

    /** The leader as published in ZooKeeper, if any (this master's own info while it leads and has published). */
    public Optional<LeaderInfo> leader() {
        return Optional.ofNullable(leader);
    }

    public ZooKeeperUrl url() {
        return url;
    }

    /** CONNECTING until the first connection, then Curator's last connection state (CONNECTED, SUSPENDED, ...). */
    public String connectionState() {
        ConnectionState c = connection;
        return c == null ? "CONNECTING" : c.name();
    }

    public boolean isConnected() {
        ConnectionState c = connection;
        return c != null && c.isConnected();
    }

    /** For people: why this master is not leading (or null while it leads). */
    public String standbyReason() {
        if (leading) {
            return null;
        }
        StringBuilder why = new StringBuilder();
        if (!isConnected()) {
            why.append(connection == null ? "cannot reach ZooKeeper at " + url + " yet (trying since "
                    : "lost ZooKeeper at " + url + " (" + connectionState() + " since ").append(connectionSince)
                    .append(")");
        } else if (leader == null) {
            why.append("no leading master elected yet");
        } else {
            why.append("standing by; the leader is ").append(leader.address()).append(" (epoch ")
                    .append(leader.epoch()).append(")");
        }
        if (lastDeposed != null) {
            why.append("; stopped leading last because ").append(lastDeposed);
        }
        return why.toString();
    }

    /**
     * Reads the published leader and leaves a watch that reads it again on any change (exists, then data: a watch
     * set by reading data does not see the node created).
     */
    private void watchLeader() {
        String path = url.leaderPath();
        try {
            client.checkExists().usingWatcher(leaderWatcher).inBackground((c, event) -> {
                if (event.getStat() == null) {
                    leader = null;
                    return;
                }
                c.getData().usingWatcher(leaderWatcher).inBackground((c2, data) -> {
                    if (data.getResultCode() == KeeperException.Code.OK.intValue()) {
                        leader = decodeLeader(data.getData());
                    } else if (data.getResultCode() == KeeperException.Code.NONODE.intValue()) {
                        leader = null;
                    }
                }).forPath(path);
            }).forPath(path);
        } catch (Exception e) {
            log.debug("cannot watch {}: {}", path, e.toString());
        }
    }

    private LeaderInfo decodeLeader(byte[] data) {
        if (data == null || data.length == 0) {
            return null;
        }
        try {
            return Json.read(data, LeaderInfo.class);
        } catch (RuntimeException e) {
            log.warn("ignoring unreadable leader info at {}: {}", url.leaderPath(), e.getMessage());
            return null;
        }
    }

    // ==== the election, on the election thread ===================================================================

    private void run(Runnable task) {
        try {
            thread.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.error("election step failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void contend() {
        if (closed) {
            return;
        }
        LeaderLatch l = new LeaderLatch(client, url.electionPath(), masterId, LeaderLatch.CloseMode.SILENT);
        latch = l;
        l.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                elected(l);
            }

            @Override
            public void notLeader() {
                lose(l, "the ZooKeeper session was lost");
            }
        }, thread);
        try {
            l.start();
        } catch (Exception e) {
            log.error("cannot join the election at {}", url.electionPath(), e);
        }
    }

    private void elected(LeaderLatch l) {
        if (closed || l != latch || !l.hasLeadership()) {
            return;
        }
        String path = l.getLastPathIsLeader();
        if (path == null) {
            return;
        }
        long e = sequence(path);
        ZooKeeperRegistry registry = new ZooKeeperRegistry(client, url, path,
                why -> run(() -> lose(l, why)));
        try {
            listener.elected(e, registry);
        } catch (Exception | LinkageError | AssertionError ex) {
            // Whatever went wrong, never sit on the leadership without serving: let another master have it.
            registry.close();
            log.error("elected with epoch {} but could not take over", e, ex);
            lastDeposed = "taking over failed: " + ex.getMessage();
            recontend(l);
            return;
        }
        fencePath = path;
        epoch = e;
        leading = true;
        try {
            publish(path, e);
        } catch (Exception ex) {
            lose(l, "publishing the leader's address failed: " + ex);
            return;
        }
        watchOwnNode(l, path);
        log.info("master {} at {} leads with epoch {}", masterId, address, e);
    }

    private void lose(LeaderLatch l, String why) {
        if (l != latch) {
            return; // about an election this master already left
        }
        boolean was = leading;
        leading = false;
        epoch = -1;
        fencePath = null;
        if (was) {
            lastDeposed = why;
            log.warn("master {} stops leading: {}", masterId, why);
            try {
                listener.deposed(why);
            } catch (RuntimeException e) {
                log.error("stepping down failed", e);
            }
            // The published leader node is left alone: deleting it "if still ours" cannot be made safe, since the
            // next leader replaces it with a node of the same version in one transaction, and a late delete would
            // remove that one. Until then clients reaching this master get 503 and look again.
        }
        recontend(l);
    }

    /** Leaves the election with {@code l} and, unless closing, joins it again with a new node. */
    private void recontend(LeaderLatch l) {
        closeLatch(l);
        latch = null;
        if (!closed) {
            contend();
        }
    }

    private static void closeLatch(LeaderLatch l) {
        try {
            l.close(LeaderLatch.CloseMode.SILENT);
        } catch (Exception | Error e) {
            log.debug("closing a leader latch: {}", e.toString());
        }
    }

    /** Publishes this master as leader, only if its latch node is still there (else it is not the leader). */
    private void publish(String fence, long e) throws Exception {
        byte[] data = Json.writeBytes(new LeaderInfo(masterId, address, e));
        String path = url.leaderPath();
        for (int attempt = 0; ; attempt++) {
            Stat old = client.checkExists().forPath(path);
            List<CuratorOp> ops = new ArrayList<>();
            ops.add(client.transactionOp().check().forPath(fence));
            if (old != null) {
                ops.add(client.transactionOp().delete().withVersion(old.getVersion()).forPath(path));
            }
            ops.add(client.transactionOp().create().withMode(CreateMode.EPHEMERAL).forPath(path, data));
            try {
                client.transaction().forOperations(ops);
                return;
            } catch (KeeperException ex) {
                if (ZooKeeperRegistry.fenceFailed(ex)) {
                    throw new IllegalStateException("this master's election node " + fence + " is gone");
                }
                if (attempt >= 5) {
                    throw ex;
                }
                // The previous leader's node changed or went meanwhile: look again.
            }
        }
    }

    /** The latch does not watch its own node: if someone removes it, this master is no longer the leader. */
    private void watchOwnNode(LeaderLatch l, String path) {
        Watcher watcher = event -> {
            if (event.getType() == Watcher.Event.EventType.NodeDeleted) {
                run(() -> {
                    if (leading && path.equals(fencePath)) {
                        lose(l, "its election node " + path + " was removed");
                    }
                });
            }
        };
        try {
            client.checkExists().usingWatcher(watcher).inBackground((c, event) -> {
                if (event.getStat() == null) {
                    run(() -> {
                        if (leading && path.equals(fencePath)) {
                            lose(l, "its election node " + path + " is gone");
                        }
                    });
                }
            }).forPath(path);
        } catch (Exception e) {
            log.warn("cannot watch the election node {}: {}", path, e.toString());
        }
    }

    /** The sequence number ZooKeeper appended to a sequential node's name. */
    static long sequence(String path) {
        String node = ZKPaths.getNodeFromPath(path);
        return Long.parseLong(node.substring(node.length() - 10));
    }

    /** For tests: the ZooKeeper client of this master. */
    CuratorFramework client() {
        return client;
    }

    /** For tests: the election node that fences this master's writes while it leads. */
    String fencePath() {
        return fencePath;
    }

    /** For tests in other packages (expiring this master's session): its ZooKeeper client. */
    public CuratorFramework clientForTests() {
        return client;
    }

    /** For tests in other packages (deposing this master by removing its node): see {@link #fencePath()}. */
    public String fencePathForTests() {
        return fencePath;
    }

    /**
     * Leaves the election (a leader steps down first, telling the listener, and its successor is elected at once)
     * and closes the ZooKeeper session.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (started) {
            Future<?> done = thread.submit(() -> {
                LeaderLatch l = latch;
                latch = null;
                if (leading) {
                    leading = false;
                    epoch = -1;
                    fencePath = null;
                    try {
                        listener.deposed("the master is shutting down");
                    } catch (RuntimeException e) {
                        log.error("stepping down failed", e);
                    }
                }
                if (l != null) {
                    closeLatch(l);
                }
            });
            try {
                done.get(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                log.warn("leaving the election: {}", e.toString());
            }
        }
        thread.shutdownNow();
        try {
            presence.close();
        } catch (IOException | RuntimeException e) {
            log.debug("leaving the masters' list: {}", e.toString());
        }
        client.close();
    }
}
