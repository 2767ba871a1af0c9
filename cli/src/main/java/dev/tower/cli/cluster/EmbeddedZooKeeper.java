package dev.tower.cli.cluster;

import dev.tower.api.detect.ZooKeeperUrl;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.persistence.FileTxnSnapLog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One ZooKeeper server in this JVM, standalone, for {@code tower up --masters N} and tests: the masters elect their
 * leader in it and clients find the leader through it ({@link #masterUrl()}).
 *
 * <p>It listens on the loopback address only, keeps its snapshots and transaction log under the given directory
 * (so a restart on the same directory finds its data again), and runs no admin server (that belongs to ZooKeeper's
 * own {@code main}, which this does not use). Its logging is quieted by the CLI's logging configuration
 * ({@code simplelogger.properties}: {@code org.apache.zookeeper} at warn).
 *
 * <p>Session timeouts are bounded by the tick time: a client gets between 2 and 20 ticks. The default tick of
 * {@value #DEFAULT_TICK_MS} ms allows sessions of 1–10 s, so masters can ask for 2 s and fail over in about that.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {
    public static final int DEFAULT_TICK_MS = 500;
    /** Connections per client address; every client of this server comes from the loopback address. */
    private static final int MAX_CLIENT_CONNECTIONS = 1000;

    private final FileTxnSnapLog txnLog;
    private final ZooKeeperServer server;
    private final ServerCnxnFactory connections;
    private final Path dataDir;
    private boolean closed;

    private EmbeddedZooKeeper(Path dataDir, FileTxnSnapLog txnLog, ZooKeeperServer server,
                              ServerCnxnFactory connections) {
        this.dataDir = dataDir;
        this.txnLog = txnLog;
        this.server = server;
        this.connections = connections;
    }

    /** Starts a server with the default tick ({@value #DEFAULT_TICK_MS} ms). */
    public static EmbeddedZooKeeper start(Path dataDir, int port) {
        return start(dataDir, port, Duration.ofMillis(DEFAULT_TICK_MS));
    }

    /**
     * Starts a server and returns once it accepts connections.
     *
     * @param dataDir where its data lives (created if missing)
     * @param port the client port on 127.0.0.1, or 0 for any free one (see {@link #port()})
     * @param tickTime ZooKeeper's time unit: sessions may last from 2 to 20 ticks
     * @throws UncheckedIOException the directory or the port cannot be used; the message names which
     */
    public static EmbeddedZooKeeper start(Path dataDir, int port, Duration tickTime) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("ZooKeeper port out of range: " + port);
        }
        int tickMs = Math.toIntExact(tickTime.toMillis());
        if (tickMs <= 0) {
            throw new IllegalArgumentException("ZooKeeper tick time must be positive, got " + tickTime);
        }
        FileTxnSnapLog txnLog;
        try {
            Files.createDirectories(dataDir);
            txnLog = new FileTxnSnapLog(dataDir.resolve("log").toFile(), dataDir.resolve("snapshots").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep ZooKeeper's data in " + dataDir + ": " + e.getMessage(), e);
        }
        ServerCnxnFactory connections = null;
        try {
            ZooKeeperServer server = new ZooKeeperServer(txnLog, tickMs, "");
            txnLog.setServerStats(server.serverStats());
            connections = ServerCnxnFactory.createFactory();
            connections.configure(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), MAX_CLIENT_CONNECTIONS,
                    -1, false);
            connections.startup(server);
            return new EmbeddedZooKeeper(dataDir, txnLog, server, connections);
        } catch (IOException | RuntimeException e) {
            if (connections != null) {
                connections.shutdown();
            }
            closeQuietly(txnLog);
            String where = port == 0 ? "a free port" : "port " + port;
            throw new UncheckedIOException(new IOException("cannot start ZooKeeper on 127.0.0.1, " + where + " (data in "
                    + dataDir + "): " + e.getMessage(), e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connections.shutdown();
            closeQuietly(txnLog);
            throw new IllegalStateException("interrupted while starting ZooKeeper", e);
        }
    }

    /** The client port it listens on (the one chosen when started with 0). */
    public int port() {
        return connections.getLocalPort();
    }

    /** {@code 127.0.0.1:port}, for a ZooKeeper or Curator client. */
    public String connectString() {
        return InetAddress.getLoopbackAddress().getHostAddress() + ":" + port();
    }

    /** The master URL under Tower's default root: {@code zk://127.0.0.1:port/tower}. */
    public String masterUrl() {
        return masterUrl(ZooKeeperUrl.DEFAULT_ROOT);
    }

    /** The master URL of a Tower cluster whose nodes live below {@code root}, e.g. {@code /tower}. */
    public String masterUrl(String root) {
        return ZooKeeperUrl.parse(ZooKeeperUrl.PREFIX + connectString() + root).toString();
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Closes every client connection, stops the server and releases the port. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            connections.shutdown(); // also shuts the server down
        } finally {
            if (server.isRunning()) {
                server.shutdown(true);
            }
            closeQuietly(txnLog);
        }
    }

    private static void closeQuietly(FileTxnSnapLog log) {
        try {
            log.close();
        } catch (IOException e) {
            // nothing left to do with it
        }
    }

    @Override
    public String toString() {
        return "ZooKeeper at " + connectString() + " (data in " + dataDir + ")";
    }
}
