package dev.tower.api.detect;

import dev.tower.api.codec.BadInputException;
import dev.tower.api.codec.Json;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The master named by ZooKeeper: {@code zk://host:2181[,host:2181]/path}. The elected master publishes its
 * {@link LeaderInfo} at {@link ZooKeeperUrl#leaderPath()} (an ephemeral node, gone when its session ends); this
 * detector watches that node and offers the leader it names as the only candidate.
 *
 * <p><b>Cheap to create</b>: the constructor only remembers the URL. The ZooKeeper client starts on the first
 * {@link #candidates()}, {@link #awaitLeaderChange} or {@link #onLeaderChange} call, and {@link #close()} stops it.
 *
 * <p><b>What {@link #candidates()} answers</b>:
 * <ul>
 *   <li>a leader is published: its {@code http://host:port}, alone (masters that are not published are standbys,
 *       which would only redirect);</li>
 *   <li>the first call, before ZooKeeper has answered: it waits for the answer, at most the connect timeout counted
 *       from the client's start (default {@value #DEFAULT_CONNECT_TIMEOUT_MS} ms); later calls never wait;</li>
 *   <li>no leader published: throws {@link NoLeaderException} "no leading master elected in zk://…";</li>
 *   <li>ZooKeeper not reached (yet, or again after the session was lost): throws {@link NoLeaderException} naming the
 *       ZooKeeper servers;</li>
 *   <li>while the connection is only suspended, the last leader read stays the answer: masters are likely still
 *       serving, and clients fence a deposed one by its epoch.</li>
 * </ul>
 *
 * <p><b>Leader changes</b> (a new leader, none any more, ZooKeeper lost) count in {@link #leaderChanges()}, wake
 * {@link #awaitLeaderChange} and run the {@link #onLeaderChange} listeners, on a ZooKeeper client thread.
 *
 * <p>A plain data watch (re-read and re-set on every event and on every (re)connection) rather than a
 * {@code CuratorCache}: a leader node replaced by another while this client was disconnected has the same version,
 * which the cache does not report as a change.
 */
public final class ZooKeeperMasterDetector implements MasterDetector {
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperMasterDetector.class);

    static final long DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofMillis(DEFAULT_CONNECT_TIMEOUT_MS);
    /** Only this client's watches depend on the session; ZooKeeper bounds it by its own tick time. */
    private static final int SESSION_TIMEOUT_MS = 20_000;

    /** What the detector knows of the leader; compared by value to tell a change. */
    private sealed interface View {
    }

    /** ZooKeeper has not answered (yet, or since the session was lost). */
    private record Unknown(String reason) implements View {
    }

    private record NoLeader() implements View {
    }

    private record Leader(LeaderInfo info, URI uri) implements View {
    }

    private record Unreadable(String why) implements View {
    }

    private final ZooKeeperUrl url;
    private final Duration connectTimeout;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final Watcher watcher = this::watched;

    /** Guards the fields below; waiters for a change wait on it. */
    private final Object lock = new Object();
    private CuratorFramework client;
    private long waitUntilNanos;
    private boolean closed;
    private View view;
    private long changes;

    public ZooKeeperMasterDetector(ZooKeeperUrl url) {
        this(url, DEFAULT_CONNECT_TIMEOUT);
    }

    /** @param connectTimeout how long the first {@link #candidates()} waits for ZooKeeper's first answer */
    public ZooKeeperMasterDetector(ZooKeeperUrl url, Duration connectTimeout) {
        this.url = Objects.requireNonNull(url, "url");
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.view = new Unknown("no answer within " + connectTimeout.toMillis() + " ms");
    }

    public ZooKeeperUrl url() {
        return url;
    }

    @Override
    public List<URI> candidates() {
        View v = current(true);
        if (v instanceof Leader l) {
            return List.of(l.uri());
        }
        if (v instanceof NoLeader) {
            throw new NoLeaderException("no leading master elected in " + url + " (nothing at " + url.leaderPath()
                    + ")");
        }
        if (v instanceof Unreadable u) {
            throw new NoLeaderException("unreadable leader record at " + url.leaderPath() + " in " + url + ": "
                    + u.why());
        }
        throw new NoLeaderException("cannot reach ZooKeeper at " + url.connectString() + " (" + url + "): "
                + ((Unknown) v).reason());
    }

    /** The published leader, as last read; empty when none is known. Never waits. */
    public Optional<LeaderInfo> leader() {
        return current(false) instanceof Leader l ? Optional.of(l.info()) : Optional.empty();
    }

    @Override
    public long leaderChanges() {
        synchronized (lock) {
            return changes;
        }
    }

    @Override
    public boolean awaitLeaderChange(long seen, Duration timeout) throws InterruptedException {
        start();
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (changes == seen && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return changes != seen;
        }
    }

    @Override
    public AutoCloseable onLeaderChange(Runnable listener) {
        Objects.requireNonNull(listener, "listener");
        start();
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Stops the ZooKeeper client, and with it the watch; waiters return. */
    @Override
    public void close() {
        CuratorFramework c;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            c = client;
            lock.notifyAll();
        }
        listeners.clear();
        if (c != null) {
            c.close();
        }
    }

    @Override
    public String toString() {
        return url.toString();
    }

    // ---- the watch ----

    private View current(boolean mayWait) {
        if (mayWait) {
            start();
        }
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the master detector for " + url + " is closed");
            }
            while (mayWait && view instanceof Unknown && client != null) {
                long left = waitUntilNanos - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new NoLeaderException("interrupted while waiting for ZooKeeper at " + url.connectString());
                }
                if (closed) {
                    throw new IllegalStateException("the master detector for " + url + " is closed");
                }
            }
            return view;
        }
    }

    private void start() {
        CuratorFramework c;
        synchronized (lock) {
            if (client != null || closed) {
                return;
            }
            c = CuratorFrameworkFactory.builder()
                    .connectString(url.connectString())
                    .sessionTimeoutMs(SESSION_TIMEOUT_MS)
                    .connectionTimeoutMs((int) Math.max(1, connectTimeout.toMillis()))
                    .retryPolicy(new BoundedExponentialBackoffRetry(100, 2_000, 29))
                    // The connect string is what the user gave: never replaced by the ensemble's view of itself.
                    .ensembleTracker(false)
                    .build();
            client = c;
            waitUntilNanos = System.nanoTime() + connectTimeout.toNanos();
        }
        c.getConnectionStateListenable().addListener((cf, state) -> connectionChanged(state));
        c.start();
    }

    private void connectionChanged(ConnectionState state) {
        log.debug("ZooKeeper {} for {}", state, url);
        switch (state) {
            case CONNECTED, RECONNECTED -> read();
            case LOST -> update(new Unknown("the ZooKeeper session was lost"));
            default -> {
                // SUSPENDED, READ_ONLY: keep the last answer, masters are probably still serving
            }
        }
    }

    private void watched(WatchedEvent event) {
        if (event.getType() != Watcher.Event.EventType.None) {
            read();
        }
    }

    /** Reads the leader node and leaves a watch on it; when it is missing, watches for its creation instead. */
    private void read() {
        CuratorFramework c = liveClient();
        if (c == null) {
            return;
        }
        try {
            c.getData().usingWatcher(watcher).inBackground((cf, event) -> dataRead(event)).forPath(url.leaderPath());
        } catch (Exception e) {
            log.debug("reading {} from {} failed: {}", url.leaderPath(), url.connectString(), e.toString());
        }
    }

    private void dataRead(CuratorEvent event) {
        int rc = event.getResultCode();
        if (rc == KeeperException.Code.OK.intValue()) {
            update(parse(event.getData()));
        } else if (rc == KeeperException.Code.NONODE.intValue()) {
            update(new NoLeader());
            watchForCreation();
        } else {
            // Connection trouble: the next (re)connection reads again.
            log.debug("reading {} from {} failed: {}", url.leaderPath(), url.connectString(),
                    KeeperException.Code.get(rc));
        }
    }

    private void watchForCreation() {
        CuratorFramework c = liveClient();
        if (c == null) {
            return;
        }
        try {
            c.checkExists().usingWatcher(watcher).inBackground((cf, event) -> {
                if (event.getResultCode() == KeeperException.Code.OK.intValue() && event.getStat() != null) {
                    read(); // created between the read and the watch
                }
            }).forPath(url.leaderPath());
        } catch (Exception e) {
            log.debug("watching {} on {} failed: {}", url.leaderPath(), url.connectString(), e.toString());
        }
    }

    private View parse(byte[] data) {
        if (data == null || data.length == 0) {
            return new Unreadable("empty");
        }
        try {
            LeaderInfo info = Json.read(data, LeaderInfo.class);
            if (info.address() == null || info.address().isBlank()) {
                return new Unreadable("no address in " + new String(data, java.nio.charset.StandardCharsets.UTF_8));
            }
            List<URI> uris = MasterUrls.parseHostPorts(info.address());
            if (uris.size() != 1) {
                return new Unreadable("address '" + info.address() + "' is not one host:port");
            }
            return new Leader(info, uris.get(0));
        } catch (BadInputException | IllegalArgumentException e) {
            return new Unreadable(e.getMessage());
        }
    }

    private CuratorFramework liveClient() {
        synchronized (lock) {
            return closed ? null : client;
        }
    }

    private void update(View next) {
        synchronized (lock) {
            if (closed || next.equals(view)) {
                return;
            }
            view = next;
            changes++;
            lock.notifyAll();
        }
        if (next instanceof Leader l) {
            log.debug("{}: leading master {} (epoch {}, id {})", url, l.info().address(), l.info().epoch(),
                    l.info().masterId());
        } else if (next instanceof Unreadable u) {
            log.warn("{}: unreadable leader record at {}: {}", url, url.leaderPath(), u.why());
        } else {
            log.debug("{}: no leading master ({})", url, next);
        }
        for (Runnable listener : listeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                log.warn("a leader change listener failed", e);
            }
        }
    }
}
