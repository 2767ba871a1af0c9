package dev.tower.cli;

import dev.tower.cli.cluster.EmbeddedZooKeeper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code tower zookeeper}: one ZooKeeper server for trying out highly available masters on one machine. Production
 * clusters run a ZooKeeper ensemble of their own and point {@code tower master --zk} at it.
 */
@Command(name = "zookeeper", mixinStandardHelpOptions = true,
        description = "Run a single ZooKeeper server (for HA masters on one machine; use a real ensemble in production).")
public final class ZooKeeperCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "2181", description = "Client port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--data-dir", defaultValue = "./tower-work/zookeeper",
            description = "Where ZooKeeper keeps its data (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--tick-time", defaultValue = "500ms", converter = DurationConverter.class,
            description = "ZooKeeper's tick; sessions may last 2 to 20 ticks (default: ${DEFAULT-VALUE}).")
    Duration tickTime;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be 0-65535, got " + port);
        }
        if (tickTime.isZero() || tickTime.isNegative()) {
            throw new IllegalArgumentException("--tick-time must be positive");
        }
        CountDownLatch stop = new CountDownLatch(1);
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dataDir, port, tickTime)) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "tower-zookeeper-shutdown"));
            System.out.println("ZooKeeper listening at " + zk.connectString() + "; masters: tower master --zk "
                    + zk.masterUrl());
            System.out.flush();
            stop.await();
        }
        return 0;
    }
}
