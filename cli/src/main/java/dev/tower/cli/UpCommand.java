package dev.tower.cli;

import dev.tower.api.model.Resources;
import dev.tower.cli.cluster.LocalCluster;
import dev.tower.kafka.KafkaBroker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import dev.tower.cli.cluster.LocalSecurity;
import dev.tower.cli.cluster.LocalTls;
import dev.tower.manager.security.Acls;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code tower up}: a whole cluster on this machine in one command. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start a master and N agents on this machine; runs until Ctrl-C, then stops their tasks and cleans up.")
public final class UpCommand implements Callable<Integer> {
    @Option(names = "--agents", defaultValue = "2", description = "Number of agents (default: ${DEFAULT-VALUE}).")
    int agents;

    @Option(names = "--port", defaultValue = "5050", description = "Master port; further masters and then the agents use the next ports (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int port;

    @Option(names = "--masters", defaultValue = "1",
            description = "Number of masters (default: ${DEFAULT-VALUE}). More than one runs an embedded ZooKeeper "
                    + "that elects the leader; kill the leader and another takes over.")
    int masters;

    @Option(names = "--zk-port", defaultValue = "2181",
            description = "Port of the embedded ZooKeeper with --masters > 1 (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int zkPort;

    @Option(names = "--agent-resources", defaultValue = "cpus:4;mem:4096;disk:10000",
            description = "Resources of each agent (default: ${DEFAULT-VALUE}); each agent also gets 1000 ports.")
    String agentResources;

    @Option(names = "--weights", split = ",", paramLabel = "ROLE=WEIGHT", description = "Role weights, e.g. etl=3,adhoc=1.")
    java.util.Map<String, Double> weights = new java.util.HashMap<>();

    @Option(names = "--kafka", paramLabel = "BOOTSTRAP",
            description = "Publish events to this Kafka cluster instead of starting a local broker.")
    String kafkaBootstrap;

    @Option(names = "--no-kafka", description = "Start no Kafka broker and publish no events to Kafka.")
    boolean noKafka;

    @Option(names = "--kafka-port", defaultValue = "9092",
            description = "Port of the local Kafka broker (default: ${DEFAULT-VALUE}; 0 = any free port).")
    int kafkaPort;

    @picocli.CommandLine.Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Option(names = "--auth", description = "Authenticate every call: makes principals admin, agent and master with "
            + "random secrets under WORK_DIR/security and prints how to use them (off by default).")
    boolean auth;

    @Option(names = "--acls", paramLabel = "FILE", description = "With --auth: who may do what (see docs/security.md).")
    Path acls;

    @Option(names = "--tls", description = "Serve HTTPS only: makes a CA and a certificate for localhost and 127.0.0.1 "
            + "under WORK_DIR/tls, and prints how clients trust it (off by default).")
    boolean tls;

    @Option(names = "--work-dir", description = "Where masters and agents keep their state (default: a new temporary directory).")
    Path workDir;

    @Override
    public Integer call() throws Exception {
        if (agents < 0) {
            throw new IllegalArgumentException("--agents must be >= 0");
        }
        if (masters < 1 || masters > 9) {
            throw new IllegalArgumentException("--masters must be between 1 and 9");
        }
        Resources resources = Resources.parse(agentResources);
        Path dir = workDir != null ? workDir : java.nio.file.Files.createTempDirectory("tower-up-");
        if (noKafka && kafkaBootstrap != null) {
            throw new IllegalArgumentException("--kafka and --no-kafka exclude each other");
        }
        if (!noKafka) {
            kafka.validate();
        }
        KafkaBroker broker = null;
        String bootstrap = kafkaBootstrap;
        if (!noKafka && bootstrap == null) {
            System.out.println("Starting a Kafka broker for the event stream (--no-kafka to skip)...");
            System.out.flush();
            broker = KafkaBroker.builder(dir.resolve("kafka")).port(port == 0 ? 0 : kafkaPort).start();
            bootstrap = broker.bootstrapServers();
        }
        try {
            return run(dir, resources, bootstrap);
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }

    private int run(Path dir, Resources resources, String bootstrap) throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        if (acls != null && !auth) {
            throw new IllegalArgumentException("--acls needs --auth");
        }
        LocalSecurity security = auth ? LocalSecurity.create(dir, acls == null ? null : Acls.load(acls)) : null;
        LocalTls localTls = tls ? LocalTls.create(dir) : null;
        try (LocalCluster cluster = LocalCluster.start(dir, port, masters, port == 0 ? 0 : zkPort, agents, resources,
                weights, (master, masterDir) -> {
                    if (bootstrap != null) {
                        kafka.attach(master, bootstrap, masterDir, "tower://" + master.address());
                    }
                }, security, localTls)) {
            Thread hook = new Thread(stop::countDown, "tower-up-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            if (!cluster.awaitAgents(Duration.ofSeconds(60))) {
                System.err.println("tower: agents did not register within 60 s");
                return 1;
            }
            if (masters == 1) {
                System.out.println("Tower master ready at " + cluster.masterUrl() + " with " + agents + " agent(s);"
                        + " web UI at " + cluster.masterUrl() + "/");
            } else {
                System.out.println("Tower masters at " + cluster.masterAddresses() + " (leader "
                        + cluster.master().address() + ") ready with " + agents + " agent(s); use --master "
                        + cluster.masterUrl() + "; web UI at " + (tls ? "https" : "http") + "://"
                        + cluster.master().address() + "/ (any master's"
                        + " sends you to the leader)");
            }
            if (bootstrap != null) {
                System.out.println("Events go to Kafka at " + bootstrap + " (topics " + kafka.eventsTopic + ", "
                        + kafka.auditTopic + "); watch them with: tower events tail");
            }
            if (security != null) {
                System.out.println("Authentication is on: every call needs a principal (web UI: log in as admin with "
                        + "the secret in " + security.secretFile(LocalSecurity.ADMIN) + "). For tower and Spark in "
                        + "a shell: " + security.exports());
            }
            if (localTls != null) {
                System.out.println("TLS is on: clients trust the CA in " + localTls.caFile() + " (browsers: import it). "
                        + "For tower and Spark in a shell: " + localTls.exports());
            }
            System.out.println("Work dir: " + dir + "   (Ctrl-C to stop)");
            System.out.flush();
            stop.await();
            System.out.println("Stopping Tower...");
        }
        return 0;
    }
}
