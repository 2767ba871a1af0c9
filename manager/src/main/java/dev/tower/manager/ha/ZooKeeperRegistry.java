package dev.tower.manager.ha;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tower.api.codec.Json;
import dev.tower.api.detect.ZooKeeperUrl;
import dev.tower.api.model.AgentInfo;
import dev.tower.manager.core.RegistryChange;
import dev.tower.manager.core.RegistrySnapshot;
import dev.tower.manager.registry.Registry;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.OpResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The registry in ZooKeeper, below {@link ZooKeeperUrl#registryPath()}: one znode per entity, JSON values.
 * <pre>
 *   registry/agents/ID        AgentInfo
 *   registry/frameworks/ID    {"framework": FrameworkInfo, "failoverDeadline": epoch millis or 0}
 *   registry/weights          {"role": weight, ...}
 *   registry/drivers/ID       a cluster-mode driver: its submission and state (RegistrySnapshot.SavedDriver)
 * </pre>
 * (ids are URL-encoded in node names.)
 * <p>
 * Every write is a ZooKeeper transaction that first checks that the writer's election node still exists: once a
 * master has lost its place as leader (its session expired, or its node was removed), its writes fail instead of
 * overwriting its successor's. Such a write is <em>fenced</em>: the registry stops writing and tells its owner, who
 * must step down.
 * <p>
 * {@link #apply} only queues: one writer thread carries the changes out in the order they were applied, so the core
 * thread never waits on ZooKeeper. A write that fails for want of a connection is retried until it succeeds, is
 * fenced, or the registry is closed.
 */
public final class ZooKeeperRegistry implements Registry, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperRegistry.class);
    private static final TypeReference<Map<String, Double>> WEIGHTS = new TypeReference<>() {
    };
    private static final long LOAD_TIMEOUT_SECONDS = 30;

    private final CuratorFramework client;
    private final String fencePath;
    private final Consumer<String> onFenced;
    private final String agentsPath;
    private final String frameworksPath;
    private final String weightsPath;
    private final String driversPath;
    private final ExecutorService writer;
    private volatile boolean closed;
    private volatile boolean fenced;
    private volatile boolean foldersReady;

    /**
     * @param fencePath the writer's own election node: writes succeed only while it exists
     * @param onFenced told once, with the reason, when a write was refused because {@code fencePath} is gone
     */
    public ZooKeeperRegistry(CuratorFramework client, ZooKeeperUrl url, String fencePath, Consumer<String> onFenced) {
        this.client = client;
        this.fencePath = fencePath;
        this.onFenced = onFenced;
        this.agentsPath = url.registryPath() + "/agents";
        this.frameworksPath = url.registryPath() + "/frameworks";
        this.weightsPath = url.registryPath() + "/weights";
        this.driversPath = url.registryPath() + "/drivers";
        this.writer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tower-registry-writer");
            t.setDaemon(true);
            return t;
        });
    }

    // ==== reads ===================================================================================================

    /**
     * Reads the whole registry, after a sync so that it sees every write its predecessors made. Nodes that do not
     * decode are skipped (and logged). Throws if ZooKeeper cannot be read.
     */
    @Override
    public RegistrySnapshot load() {
        try {
            ensureFolders();
            sync(agentsPath);
            Map<String, AgentInfo> agents = new HashMap<>();
            for (String child : client.getChildren().forPath(agentsPath)) {
                byte[] data = read(agentsPath + "/" + child);
                AgentInfo info = data == null ? null : decode(data, AgentInfo.class, child);
                if (info != null && info.id() != null) {
                    agents.put(info.id(), info);
                }
            }
            Map<String, RegistrySnapshot.SavedFramework> frameworks = new HashMap<>();
            for (String child : client.getChildren().forPath(frameworksPath)) {
                byte[] data = read(frameworksPath + "/" + child);
                RegistrySnapshot.SavedFramework f = data == null ? null
                        : decode(data, RegistrySnapshot.SavedFramework.class, child);
                if (f != null && f.framework() != null && f.framework().id() != null) {
                    frameworks.put(f.framework().id(), f);
                }
            }
            Map<String, Double> weights = Map.of();
            byte[] w = read(weightsPath);
            if (w != null) {
                try {
                    weights = Json.mapper().readValue(w, WEIGHTS);
                } catch (java.io.IOException e) {
                    log.warn("registry: ignoring unreadable {}: {}", weightsPath, e.getMessage());
                }
            }
            Map<String, RegistrySnapshot.SavedDriver> drivers = new HashMap<>();
            for (String child : client.getChildren().forPath(driversPath)) {
                byte[] data = read(driversPath + "/" + child);
                RegistrySnapshot.SavedDriver d = data == null ? null
                        : decode(data, RegistrySnapshot.SavedDriver.class, child);
                if (d != null && d.id() != null) {
                    drivers.put(d.id(), d);
                }
            }
            return new RegistrySnapshot(agents, frameworks, weights, drivers);
        } catch (RuntimeException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading the registry", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot load the registry from ZooKeeper: " + e, e);
        }
    }

    /** The folders are plain persistent nodes, outside the fenced transactions: harmless to create twice. */
    private void ensureFolders() throws Exception {
        if (!foldersReady) {
            ensure(agentsPath);
            ensure(frameworksPath);
            ensure(driversPath);
            foldersReady = true;
        }
    }

    private void ensure(String path) throws Exception {
        try {
            client.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT).forPath(path);
        } catch (KeeperException.NodeExistsException e) {
            // there already
        }
    }

    private void sync(String path) throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        client.sync().inBackground((c, event) -> done.countDown()).forPath(path);
        if (!done.await(LOAD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException("ZooKeeper sync of " + path + " timed out");
        }
    }

    private byte[] read(String path) throws Exception {
        try {
            return client.getData().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }

    private static <T> T decode(byte[] data, Class<T> type, String node) {
        try {
            return Json.read(data, type);
        } catch (RuntimeException e) {
            log.warn("registry: ignoring unreadable node {}: {}", node, e.getMessage());
            return null;
        }
    }

    // ==== writes ==================================================================================================

    @Override
    public void apply(RegistryChange change) {
        if (closed || fenced) {
            return;
        }
        try {
            writer.execute(() -> write(change));
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    /** Completes once every change applied before this call has been written (or dropped: fenced, closed). */
    public CompletableFuture<Void> flush() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            writer.execute(() -> done.complete(null));
        } catch (RejectedExecutionException e) {
            done.complete(null);
        }
        return done;
    }

    /** Whether a write was refused because this registry's election node is gone. */
    public boolean isFenced() {
        return fenced;
    }

    private void write(RegistryChange change) {
        long backoff = 100;
        int raced = 0;
        while (!closed && !fenced) {
            try {
                ensureFolders();
                CuratorOp op = operation(change);
                if (op == null) {
                    return; // nothing to do (removing what is not there)
                }
                client.transaction().forOperations(List.of(
                        client.transactionOp().check().forPath(fencePath), op));
                return;
            } catch (KeeperException e) {
                if (fenceFailed(e)) {
                    fence("the registry refused a write: this master's election node " + fencePath
                            + " is gone (" + e.code() + ")");
                    return;
                }
                if ((e instanceof KeeperException.NodeExistsException || e instanceof KeeperException.NoNodeException)
                        && ++raced < 5) {
                    continue; // the node changed between reading and writing it: read again
                }
                if (!(e instanceof KeeperException.ConnectionLossException
                        || e instanceof KeeperException.OperationTimeoutException
                        || e instanceof KeeperException.SessionMovedException)) {
                    log.error("registry: dropping {}: ZooKeeper refused it ({})", describe(change), e.code());
                    return;
                }
                log.warn("registry: writing {} failed ({}); retrying", describe(change), e.code());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.error("registry: dropping {}: {}", describe(change), e.toString());
                return;
            } catch (Exception e) {
                if (closed) {
                    return;
                }
                log.warn("registry: writing {} failed ({}); retrying", describe(change), e.toString());
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            backoff = Math.min(backoff * 2, 2000);
        }
    }

    /**
     * The check of the election node comes first in every transaction: if it failed, the whole transaction failed
     * because of it. A session that expired took its ephemeral election node with it.
     */
    static boolean fenceFailed(KeeperException e) {
        if (e instanceof KeeperException.SessionExpiredException) {
            return true;
        }
        List<OpResult> results = e.getResults();
        return results != null && !results.isEmpty() && results.get(0) instanceof OpResult.ErrorResult first
                && first.getErr() != KeeperException.Code.OK.intValue();
    }

    private void fence(String why) {
        if (fenced) {
            return;
        }
        fenced = true;
        log.warn("registry: {}", why);
        try {
            onFenced.accept(why);
        } catch (RuntimeException e) {
            log.warn("registry: fencing callback failed", e);
        }
    }

    private CuratorOp operation(RegistryChange change) throws Exception {
        if (change instanceof RegistryChange.AgentSaved c) {
            return save(agentsPath + "/" + encode(c.agent().id()), Json.writeBytes(c.agent()));
        } else if (change instanceof RegistryChange.AgentRemoved c) {
            return remove(agentsPath + "/" + encode(c.agentId()));
        } else if (change instanceof RegistryChange.FrameworkSaved c) {
            return save(frameworksPath + "/" + encode(c.framework().id()),
                    Json.writeBytes(new RegistrySnapshot.SavedFramework(c.framework(), c.failoverDeadline())));
        } else if (change instanceof RegistryChange.FrameworkRemoved c) {
            return remove(frameworksPath + "/" + encode(c.frameworkId()));
        } else if (change instanceof RegistryChange.WeightsSaved c) {
            return save(weightsPath, Json.writeBytes(c.weights()));
        } else if (change instanceof RegistryChange.DriverSaved c) {
            return save(driversPath + "/" + encode(c.driver().id()), Json.writeBytes(c.driver()));
        } else if (change instanceof RegistryChange.DriverRemoved c) {
            return remove(driversPath + "/" + encode(c.driverId()));
        }
        throw new IllegalArgumentException("unknown registry change " + change);
    }

    private CuratorOp save(String path, byte[] data) throws Exception {
        if (client.checkExists().forPath(path) == null) {
            return client.transactionOp().create().withMode(CreateMode.PERSISTENT).forPath(path, data);
        }
        return client.transactionOp().setData().forPath(path, data);
    }

    private CuratorOp remove(String path) throws Exception {
        if (client.checkExists().forPath(path) == null) {
            return null;
        }
        return client.transactionOp().delete().forPath(path);
    }

    /** Ids come from agents and frameworks: never let one reach outside its folder. */
    static String encode(String id) {
        return URLEncoder.encode(id, StandardCharsets.UTF_8).replace(".", "%2E");
    }

    private static String describe(RegistryChange change) {
        return change.getClass().getSimpleName();
    }

    /** Stops writing; changes not written yet are dropped. */
    @Override
    public void close() {
        closed = true;
        writer.shutdownNow();
    }
}
