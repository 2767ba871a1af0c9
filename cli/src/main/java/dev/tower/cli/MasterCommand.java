package dev.tower.cli;

import dev.tower.api.detect.ZooKeeperUrl;
import dev.tower.api.security.ServerKeys;
import dev.tower.manager.Master;
import dev.tower.manager.MasterOptions;
import dev.tower.manager.security.Acls;
import dev.tower.manager.security.MasterSecurity;
import dev.tower.manager.core.DriverPolicy;
import dev.tower.manager.core.MasterConfig;
import dev.tower.manager.dispatch.DispatcherOptions;
import dev.tower.cli.spark.SparkHome;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code tower master}: run a master until Ctrl-C; with {@code --zk}, one of several electing their leader. */
@Command(name = "master", mixinStandardHelpOptions = true, description = {"Run a Tower master.",
        "With --zk, run one of several masters: they elect the leader through ZooKeeper and keep the registry there; "
                + "standbys redirect every call to the leader and take over when it goes."})
public final class MasterCommand implements Callable<Integer> {
    private static final long SHUTDOWN_WAIT_SECONDS = 15;

    @Spec
    CommandSpec spec;

    @Option(names = "--port", defaultValue = "5050", description = "HTTP port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--bind", defaultValue = "0.0.0.0", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--advertise-host", defaultValue = "127.0.0.1", description = "Address clients should use (default: ${DEFAULT-VALUE}).")
    String advertise;

    @Option(names = "--work-dir", defaultValue = "./tower-work/master", description = "State directory (default: ${DEFAULT-VALUE}).")
    Path workDir;

    @Option(names = "--weights", split = ",", paramLabel = "ROLE=WEIGHT", description = "Role weights, e.g. etl=3,adhoc=1.")
    Map<String, Double> weights = new HashMap<>();

    @Option(names = "--agent-unreachable-timeout", defaultValue = "60s", converter = DurationConverter.class,
            description = "An unreachable agent's tasks become LOST after this (default: ${DEFAULT-VALUE}).")
    Duration unreachableTimeout;

    @Option(names = "--offer-timeout", defaultValue = "60s", converter = DurationConverter.class,
            description = "Offers not answered within this are rescinded (default: ${DEFAULT-VALUE}).")
    Duration offerTimeout;

    @Option(names = "--zk", paramLabel = "zk://HOST:PORT[,HOST:PORT]/PATH", converter = ZooKeeperUrlConverter.class,
            description = "Elect the leading master through ZooKeeper and keep the registry there, below PATH "
                    + "(default /tower); the zk:// prefix may be left out. Without it this master leads alone.")
    ZooKeeperUrl zk;

    @Option(names = "--zk-session-timeout", defaultValue = "10s", converter = DurationConverter.class,
            description = "ZooKeeper session timeout: a leader cut off this long stops leading, and a dead leader is "
                    + "replaced about this fast (default: ${DEFAULT-VALUE}; ZooKeeper keeps it within its own bounds).")
    Duration zkSessionTimeout;

    @Option(names = "--agent-reregister-timeout", defaultValue = "10s", converter = DurationConverter.class,
            description = "A newly elected leader waits this long for the registry's agents to re-subscribe, then "
                    + "marks the missing ones unreachable (default: ${DEFAULT-VALUE}).")
    Duration agentReregisterTimeout;

    @Option(names = "--spark-home", paramLabel = "DIR",
            description = "Spark home that drivers submitted with spark-submit --deploy-mode cluster run from, at this "
                    + "path on every agent (default: the one the build makes beside the CLI, if any; a submission "
                    + "may name its own in spark.tower.executor.home).")
    Path sparkHome;

    @Option(names = "--driver-role", defaultValue = DispatcherOptions.DEFAULT_ROLE,
            description = "Role of the framework that runs cluster-mode drivers (default: ${DEFAULT-VALUE}).")
    String driverRole;

    @Option(names = "--driver-max-retries", defaultValue = "3",
            description = "A supervised driver (--supervise) that fails is relaunched at most this many times "
                    + "(default: ${DEFAULT-VALUE}).")
    int driverMaxRetries;

    @Option(names = "--driver-retry-backoff", defaultValue = "5s", converter = DurationConverter.class,
            description = "Wait before the first relaunch of a failed supervised driver, doubled for each next one "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration driverBackoff;

    @Option(names = "--driver-retry-backoff-max", defaultValue = "60s", converter = DurationConverter.class,
            description = "Longest wait between relaunches of a supervised driver (default: ${DEFAULT-VALUE}).")
    Duration driverBackoffMax;

    @Option(names = "--kafka", paramLabel = "BOOTSTRAP",
            description = "Publish every cluster event and audit record to this Kafka cluster (host:port[,host:port]), "
                    + "through a durable outbox in the work dir.")
    String kafkaBootstrap;

    @picocli.CommandLine.Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Mixin
    TlsServerOptions tls = new TlsServerOptions();

    @Mixin
    SecurityOptions security = new SecurityOptions();

    @Option(names = "--acls", paramLabel = "FILE",
            description = "Who may do what (register frameworks in roles, run tasks as users, tear down, change "
                    + "weights, read sandboxes, submit drivers), as JSON; see docs/security.md. Default: everything "
                    + "allowed to every authenticated principal.")
    Path acls;

    @Option(names = "--scheduler-rate-limit", paramLabel = "CALLS_PER_SECOND", defaultValue = "0",
            description = "Scheduler API calls per second each principal may make (bursts of twice that); more are "
                    + "answered 429. 0 for no limit (default).")
    double schedulerRateLimit;

    /** Parses {@code --zk}; a bad URL is reported naming the option, like any bad value. */
    static final class ZooKeeperUrlConverter implements CommandLine.ITypeConverter<ZooKeeperUrl> {
        @Override
        public ZooKeeperUrl convert(String value) {
            try {
                return ZooKeeperUrl.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** The master's options from the flags; a bad value is a usage error naming its flag. */
    MasterOptions options() {
        weights.forEach((role, w) -> {
            if (!(w > 0) || w.isInfinite()) {
                throw usage("--weights: weight of role " + role + " must be > 0");
            }
        });
        requirePositive("--zk-session-timeout", zkSessionTimeout);
        if (zkSessionTimeout.toMillis() > Integer.MAX_VALUE) {
            throw usage("--zk-session-timeout: too long: " + zkSessionTimeout);
        }
        requirePositive("--agent-reregister-timeout", agentReregisterTimeout);
        requirePositive("--agent-unreachable-timeout", unreachableTimeout);
        requirePositive("--offer-timeout", offerTimeout);
        if (driverMaxRetries < 0) {
            throw usage("--driver-max-retries: must be 0 or more, got " + driverMaxRetries);
        }
        if (driverBackoff.isNegative() || driverBackoffMax.compareTo(driverBackoff) < 0) {
            throw usage("--driver-retry-backoff-max: must be at least --driver-retry-backoff (" + driverBackoff + ")");
        }
        if (!(schedulerRateLimit >= 0) || Double.isInfinite(schedulerRateLimit)) {
            throw usage("--scheduler-rate-limit: must be 0 (no limit) or more, got " + schedulerRateLimit);
        }
        MasterConfig core = MasterConfig.defaults().withWeights(weights)
                .withAgentUnreachableTimeout(unreachableTimeout).withOfferTimeout(offerTimeout)
                .withAgentReregisterTimeout(agentReregisterTimeout)
                .withDrivers(new DriverPolicy(driverMaxRetries, driverBackoff, driverBackoffMax));
        Optional<String> home = sparkHome != null ? Optional.of(sparkHome.toAbsolutePath().normalize().toString())
                : SparkHome.find().map(h -> h.dir().toString());
        ServerKeys keys = tls.keys();
        MasterOptions options = MasterOptions.defaults(workDir).withPort(port).withHosts(bind, advertise).withCore(core)
                .withDrivers(new DispatcherOptions(driverRole, home))
                .withSecurity(new MasterSecurity(security.principals(), acls == null ? null : Acls.load(acls),
                        keys == null ? null : keys.sslContext(), security.asClient(), schedulerRateLimit));
        return zk == null ? options : options.withZooKeeper(zk, zkSessionTimeout);
    }

    private void requirePositive(String flag, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw usage(flag + ": must be more than 0, got " + d.toMillis() + " ms");
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    @Override
    public Integer call() throws Exception {
        MasterOptions options = options();
        if (kafkaBootstrap != null) {
            kafka.validate();
        }
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        try (Master master = Master.start(options, m -> {
            if (kafkaBootstrap != null) {
                kafka.attach(m, kafkaBootstrap, options.workDir(),
                        "tower://" + (zk != null ? zk.toString().substring("zk://".length()) : m.address()));
            }
        })) {
            // The JVM halts once its shutdown hooks return: wait for the master to close (a leader hands over to a
            // standby at once then, instead of after the ZooKeeper session timeout).
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stop.countDown();
                try {
                    closed.await(SHUTDOWN_WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "tower-master-shutdown"));
            System.out.println("Tower master listening at " + options.security().scheme() + "://" + master.address()
                    + (zk == null ? "" : " (standby until elected through " + zk + ")"));
            System.out.flush();
            stop.await();
        } finally {
            closed.countDown();
        }
        return 0;
    }
}
