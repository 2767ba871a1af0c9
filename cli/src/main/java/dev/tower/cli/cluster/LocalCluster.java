package dev.tower.cli.cluster;

import dev.tower.agent.Agent;
import dev.tower.agent.AgentConfig;
import dev.tower.api.detect.ZooKeeperUrl;
import dev.tower.api.model.Resources;
import dev.tower.manager.Master;
import dev.tower.manager.MasterOptions;
import dev.tower.manager.core.MasterConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Masters and agents in this JVM, for {@code tower up}, {@code tower demo} and tests. Tasks are child processes.
 * With more than one master, an embedded ZooKeeper server elects the leader and agents follow it.
 */
public final class LocalCluster implements AutoCloseable {
    /** Short enough that a failover on one machine takes seconds; ZooKeeper's 500 ms tick allows it. */
    static final Duration HA_SESSION_TIMEOUT = Duration.ofSeconds(2);

    private final EmbeddedZooKeeper zookeeper;
    private final List<Master> masters = new ArrayList<>();
    private final List<Agent> agents = new ArrayList<>();
    private String scheme = "http";

    private LocalCluster(EmbeddedZooKeeper zookeeper) {
        this.zookeeper = zookeeper;
    }

    /** One master, no ZooKeeper. */
    public static LocalCluster start(Path workDir, int port, int agentCount, Resources agentResources,
                                     Map<String, Double> weights) {
        return start(workDir, port, 1, 0, agentCount, agentResources, weights);
    }

    /**
     * @param port the first master's port (0: any free port); the other masters and then the agents take the
     *             following ports, or free ports when 0
     * @param masterCount 1 for a plain master; more for highly available masters over an embedded ZooKeeper
     * @param zooKeeperPort the embedded ZooKeeper's port when {@code masterCount > 1} (0: any free port)
     * @param agentResources each agent's resources, without ports: each agent gets its own range of 1000 ports
     */
    public static LocalCluster start(Path workDir, int port, int masterCount, int zooKeeperPort, int agentCount,
                                     Resources agentResources, Map<String, Double> weights) {
        return start(workDir, port, masterCount, zooKeeperPort, agentCount, agentResources, weights, (m, dir) -> {
        });
    }

    /**
     * @param masterStarted called with each master and its work dir once it listens, before it leads (so event sinks
     *                      added there see all its events) and before any agent starts
     */
    public static LocalCluster start(Path workDir, int port, int masterCount, int zooKeeperPort, int agentCount,
                                     Resources agentResources, Map<String, Double> weights,
                                     java.util.function.BiConsumer<Master, Path> masterStarted) {
        return start(workDir, port, masterCount, zooKeeperPort, agentCount, agentResources, weights, masterStarted, null);
    }

    /** @param security the principals every master and agent uses; null for none (no authentication) */
    public static LocalCluster start(Path workDir, int port, int masterCount, int zooKeeperPort, int agentCount,
                                     Resources agentResources, Map<String, Double> weights,
                                     java.util.function.BiConsumer<Master, Path> masterStarted, LocalSecurity security) {
        return start(workDir, port, masterCount, zooKeeperPort, agentCount, agentResources, weights, masterStarted,
                security, null);
    }

    /** @param tls the certificate every master and agent serves HTTPS with, and the CA they trust; null for HTTP */
    public static LocalCluster start(Path workDir, int port, int masterCount, int zooKeeperPort, int agentCount,
                                     Resources agentResources, Map<String, Double> weights,
                                     java.util.function.BiConsumer<Master, Path> masterStarted, LocalSecurity security,
                                     LocalTls tls) {
        if (masterCount < 1) {
            throw new IllegalArgumentException("--masters must be at least 1");
        }
        LocalCluster cluster = new LocalCluster(masterCount > 1
                ? EmbeddedZooKeeper.start(workDir.resolve("zookeeper"), zooKeeperPort) : null);
        cluster.scheme = tls == null ? "http" : "https";
        try {
            MasterConfig core = MasterConfig.defaults().withWeights(weights);
            // Cluster-mode drivers run from the Spark home the build makes, when there is one (every agent is here).
            var drivers = new dev.tower.manager.dispatch.DispatcherOptions(null,
                    dev.tower.cli.spark.SparkHome.find().map(h -> h.dir().toString()));
            for (int i = 0; i < masterCount; i++) {
                String dir = masterCount == 1 ? "master" : "master-" + (i + 1);
                MasterOptions options = MasterOptions.defaults(workDir.resolve(dir))
                        .withPort(port == 0 ? 0 : port + i).withCore(core).withDrivers(drivers);
                if (security != null) {
                    options = options.withSecurity(security.master());
                }
                if (tls != null) {
                    options = options.withSecurity(tls.master(options.security()));
                }
                if (cluster.zookeeper != null) {
                    options = options.withZooKeeper(ZooKeeperUrl.parse(cluster.zookeeper.masterUrl()),
                            HA_SESSION_TIMEOUT);
                }
                Path masterDir = options.workDir();
                Master master = Master.start(options, m -> masterStarted.accept(m, masterDir));
                cluster.masters.add(master);
            }
            String masterUrl = cluster.zookeeper != null ? cluster.zookeeper.masterUrl()
                    : cluster.masters.get(0).address();
            for (int i = 0; i < agentCount; i++) {
                Resources ports = Resources.parse("ports:[" + (31000 + i * 1000) + "-" + (31999 + i * 1000) + "]");
                AgentConfig config = AgentConfig.defaults(masterUrl, workDir.resolve("agent-" + (i + 1)))
                        .withPort(port == 0 ? 0 : port + masterCount + i)
                        .withResources(agentResources.plus(ports))
                        .withAttributes(Map.of("agent", Integer.toString(i + 1)));
                if (security != null) {
                    config = config.withSecurity(security.agent());
                }
                if (tls != null) {
                    config = config.withSecurity(tls.agent(config.security()));
                }
                cluster.agents.add(Agent.start(config));
            }
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** Waits until every agent has subscribed to the (leading) master. */
    public boolean awaitAgents(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Agent a : agents) {
            while (!a.isSubscribed()) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                Thread.sleep(20);
            }
        }
        return true;
    }

    /** The leading master, or the only one. */
    public Master master() {
        return leader().orElse(masters.get(0));
    }

    public Optional<Master> leader() {
        return masters.stream().filter(Master::isLeader).findFirst();
    }

    public List<Master> masters() {
        return masters;
    }

    public List<Agent> agents() {
        return agents;
    }

    /** What to pass as {@code --master}: the ZooKeeper URL with several masters, else the master's address. */
    public String masterUrl() {
        return zookeeper != null ? zookeeper.masterUrl() : scheme + "://" + masters.get(0).address();
    }

    /** The masters' HTTP addresses, comma-separated (also a valid {@code --master} value). */
    public String masterAddresses() {
        return masters.stream().map(Master::address).collect(Collectors.joining(","));
    }

    @Override
    public void close() {
        try {
            for (Agent a : agents) {
                try {
                    a.shutdownTasks();
                } finally {
                    a.close();
                }
            }
        } finally {
            masters.forEach(Master::close);
            if (zookeeper != null) {
                zookeeper.close();
            }
        }
    }
}
