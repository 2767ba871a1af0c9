package dev.tower.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tower.api.client.MasterHttp;
import dev.tower.api.client.SchedulerClient;
import dev.tower.api.codec.Json;
import dev.tower.api.detect.MasterUrls;
import dev.tower.api.events.ClusterEventView;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.operator.RoleView;
import dev.tower.cli.cluster.LocalCluster;
import dev.tower.cli.demo.EventSample;
import dev.tower.cli.demo.GreedyFramework;
import dev.tower.cli.demo.SparkPiJob;
import dev.tower.cli.cluster.LocalSecurity;
import dev.tower.cli.cluster.LocalTls;
import dev.tower.api.security.ClientSecurity;
import dev.tower.cli.demo.WordCountJob;
import dev.tower.cli.output.Format;
import dev.tower.cli.output.Table;
import dev.tower.kafka.KafkaBroker;
import dev.tower.kafka.KafkaEventSink;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code tower demo}: a local cluster with two frameworks competing under weighted DRF. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Start a local cluster (1 master, 2 agents) and two frameworks in roles",
                "weighted 1:3 that both want the whole cluster; print the shares they end up",
                "with, and a few of the cluster events they caused (also sent to a local Kafka",
                "broker, unless --no-kafka). Then pause them, run a Spark job (the example Pi, through",
                "spark-submit --master spark+tower://...) and a stock MapReduce WordCount on YARN",
                "run by Tower (tower yarn start), and print their results; then let the two",
                "compete again, printing their shares, until Ctrl-C."})
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "5050", description = "Master port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--duration", converter = DurationConverter.class,
            description = "Stop after this long instead of waiting for Ctrl-C (e.g. 30s).")
    Duration duration;

    @Option(names = "--no-spark", description = "Skip the Spark job.")
    boolean noSpark;

    @Option(names = "--spark-timeout", converter = DurationConverter.class, defaultValue = "180s",
            description = "Give up on the Spark job after this long (default: ${DEFAULT-VALUE}).")
    Duration sparkTimeout;

    @Option(names = "--no-hadoop", description = "Skip the MapReduce job (YARN on Tower).")
    boolean noHadoop;

    @Option(names = "--hadoop-timeout", converter = DurationConverter.class, defaultValue = "300s",
            description = "Give up on the MapReduce job after this long, YARN's start included (default: "
                    + "${DEFAULT-VALUE}).")
    Duration hadoopTimeout;

    @Option(names = "--no-kafka", description = "Start no Kafka broker: events only on the master's events stream.")
    boolean noKafka;

    @Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Option(names = "--auth", description = "Authenticate every call, as tower up --auth: the demo's frameworks, Spark "
            + "and YARN authenticate as admin (off by default).")
    boolean auth;

    @Option(names = "--tls", description = "Serve HTTPS only, as tower up --tls; the demo's clients trust the CA it makes.")
    boolean tls;

    /** How the demo's own clients (its frameworks, Spark, the YARN bridge) call the cluster. */
    private ClientSecurity clients = ClientSecurity.NONE;
    /** The same for the processes it starts, as the TOWER_* variables they read. */
    private final Map<String, String> clientEnv = new java.util.HashMap<>();

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("tower-demo-");
        PrintWriter out = new PrintWriter(System.out, true);
        if (port != 0) {
            out.println("Tower web UI: " + scheme() + "://127.0.0.1:" + port + "/   (open it in a browser; live once "
                    + "the cluster is up)");
        }
        KafkaBroker broker = noKafka ? null : startBroker(out, dir);
        try {
            return run(out, dir, broker);
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }

    /** A local broker for the event stream; the demo goes on without it (saying why) if it cannot start. */
    private static KafkaBroker startBroker(PrintWriter out, Path dir) {
        out.println("Starting a Kafka broker for the cluster's event stream (--no-kafka to skip)...");
        try {
            return KafkaBroker.builder(dir.resolve("kafka")).port(0).start();
        } catch (IOException | RuntimeException e) {
            out.println("No Kafka broker, going on without it: " + e.getMessage());
            return null;
        }
    }

    private String scheme() {
        return tls ? "https" : "http";
    }

    private int run(PrintWriter out, Path dir, KafkaBroker broker) throws Exception {
        Map<String, Double> weights = Map.of("analytics", 1.0, "etl", 3.0);
        LocalSecurity security = auth ? LocalSecurity.create(dir, null) : null;
        LocalTls localTls = tls ? LocalTls.create(dir) : null;
        if (security != null) {
            clients = security.admin();
            clientEnv.put(ClientSecurity.ENV_PRINCIPAL, LocalSecurity.ADMIN);
            clientEnv.put(ClientSecurity.ENV_SECRET_FILE, security.secretFile(LocalSecurity.ADMIN).toString());
        }
        if (localTls != null) {
            clients = localTls.client(clients);
            clientEnv.put(ClientSecurity.ENV_CA_CERT, localTls.caFile().toString());
        }
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "tower-demo-shutdown"));
        EventSample events = new EventSample();
        List<KafkaEventSink> sinks = new ArrayList<>();
        try (LocalCluster cluster = LocalCluster.start(dir, port, 1, 0, 2,
                Resources.parse("cpus:4;mem:4096;disk:10000"), weights, (master, masterDir) -> {
                    if (port == 0) { // known only now
                        out.println("Tower web UI: " + scheme() + "://" + master.address() + "/   (open it in a browser)");
                    }
                    master.events().add(events);
                    if (broker != null) {
                        sinks.add(kafka.attach(master, broker.bootstrapServers(), masterDir,
                                "tower://" + master.address()));
                    }
                }, security, localTls)) {
            if (!cluster.awaitAgents(Duration.ofSeconds(60))) {
                throw new IllegalStateException("agents did not register within 60 s");
            }
            out.println("Tower master ready at " + cluster.masterUrl() + "; web UI at " + scheme() + "://"
                    + cluster.master().address() + "/");
            if (security != null) {
                out.println("Authentication is on: the web UI's login is admin with the secret in "
                        + security.secretFile(LocalSecurity.ADMIN) + "; in a shell: " + security.exports());
            }
            if (localTls != null) {
                out.println("TLS is on: clients trust the CA in " + localTls.caFile() + "; in a shell: "
                        + localTls.exports());
            }
            out.println("Two frameworks compete for 8 CPUs: 'analytics' (weight 1) and 'etl' (weight 3).");
            out.println("Expect DRF to settle at dominant shares of about 25% and 75%.");
            out.println();
            Resources task = Resources.cpusMem(1, 256);
            GreedyFramework analytics = new GreedyFramework("analytics", task, "sleep 8");
            GreedyFramework etl = new GreedyFramework("etl", task, "sleep 8");
            try (SchedulerClient a = client(cluster, "analytics-jobs", "analytics", analytics);
                 SchedulerClient e = client(cluster, "etl-pipeline", "etl", etl)) {
                a.start();
                e.start();
                MasterHttp master = new MasterHttp(MasterUrls.detector(cluster.master().address()), clients);
                long end = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
                if (!stop.await(5, TimeUnit.SECONDS)) {
                    printShares(out, master);
                    printLaunched(out, analytics, etl);
                    printEvents(out, events, sinks.isEmpty() ? null : sinks.get(0));
                    if ((!noSpark || !noHadoop) && System.nanoTime() < end) {
                        runJobs(out, cluster, dir, stop, List.of(analytics, etl), List.of(a, e));
                    }
                }
                while (!stop.await(untilNextPrint(end), TimeUnit.NANOSECONDS) && System.nanoTime() < end) {
                    printShares(out, master);
                    printLaunched(out, analytics, etl);
                }
                printShares(out, master);
            }
        }
        return 0;
    }

    /** A few of the events so far, one of each step from the election to a running task, and where the rest are. */
    private void printEvents(PrintWriter out, EventSample events, KafkaEventSink sink) {
        out.println("A few of the " + events.total() + " cluster events so far (every state change and every audited"
                + " API call is one):");
        for (ClusterEventView e : events.sample()) {
            out.println("  " + EventsCommand.Tail.line(e));
        }
        if (sink != null) {
            out.println("Kafka at " + sink.config().bootstrapServers() + " acknowledged " + sink.delivered()
                    + " of them as CloudEvents (topics " + sink.config().eventsTopic() + ", "
                    + sink.config().auditTopic() + "); " + sink.pending() + " on their way.");
        }
        out.println("   (follow them: ./tower events tail; only tasks: ./tower events tail --type task; see docs/events.md)");
        out.println();
    }

    /** 15 s, or less when the demo's --duration ends sooner. */
    private long untilNextPrint(long end) {
        long every = TimeUnit.SECONDS.toNanos(15);
        return duration == null ? every : Math.max(0, Math.min(every, end - System.nanoTime()));
    }

    private static void printLaunched(PrintWriter out, GreedyFramework analytics, GreedyFramework etl) {
        out.println("tasks launched: analytics " + analytics.launched() + ", etl " + etl.launched()
                + "   (try: ./tower ps, ./tower agents, ./tower frameworks; Ctrl-C to stop)");
        out.println();
    }

    /**
     * Pauses the greedy frameworks (they would otherwise take back every CPU as soon as it is free), waits for their
     * tasks to end, runs the Spark Pi job and the MapReduce WordCount (through YARN on Tower) on the cluster and prints
     * their results, then lets the frameworks compete again.
     */
    private void runJobs(PrintWriter out, LocalCluster cluster, Path dir, CountDownLatch stop,
                         List<GreedyFramework> frameworks, List<SchedulerClient> clients) throws InterruptedException {
        String noSparkHere = noSpark ? "--no-spark" : SparkPiJob.unavailable();
        String noHadoopHere = noHadoop ? "--no-hadoop" : WordCountJob.unavailable();
        if (noSparkHere != null && noHadoopHere != null) {
            if (!noSpark) {
                out.println("Spark job skipped: " + noSparkHere);
            }
            if (!noHadoop) {
                out.println("Hadoop job skipped: " + noHadoopHere);
            }
            out.println();
            return;
        }
        out.println("Now other workloads on the same cluster: pausing 'analytics' and 'etl' so their tasks drain.");
        frameworks.forEach(GreedyFramework::pause);
        clients.forEach(SchedulerClient::suppress);
        long drained = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (frameworks.stream().anyMatch(f -> f.running() > 0) && System.nanoTime() < drained) {
            if (stop.await(200, TimeUnit.MILLISECONDS)) {
                return;
            }
        }
        String towerMaster = cluster.master().address();
        if (noSparkHere != null) {
            out.println(noSpark ? "" : "Spark job skipped: " + noSparkHere);
        } else {
            out.println("$ tower spark-submit --master spark+tower://" + towerMaster + " --total-executor-cores 2"
                    + " --executor-cores 1 --executor-memory 512m --class dev.tower.spark.examples.Pi"
                    + " tower-spark-examples.jar 4");
            long started = System.nanoTime();
            SparkPiJob.Outcome outcome = SparkPiJob.run(towerMaster, dir, sparkTimeout, stop, clientEnv);
            double seconds = (System.nanoTime() - started) / 1e9;
            out.println(outcome.succeeded() ? String.format("Spark: %s   (%.1f s)", outcome.line(), seconds)
                    : "Spark job " + outcome.line());
        }
        if (stop.getCount() == 0) {
            return;
        }
        if (noHadoopHere != null) {
            out.println(noHadoop ? "" : "Hadoop job skipped: " + noHadoopHere);
        } else {
            out.println("$ tower yarn start --master " + towerMaster + " --nodemanagers 2   # YARN as Tower tasks");
            out.println("$ hadoop jar hadoop-mapreduce-examples-3.4.2.jar wordcount in out   # a stock MapReduce job");
            long started = System.nanoTime();
            WordCountJob.Outcome outcome = WordCountJob.run(towerMaster, dir, hadoopTimeout, stop, clientEnv);
            double seconds = (System.nanoTime() - started) / 1e9;
            out.println(outcome.succeeded() ? String.format("MapReduce WordCount on YARN on Tower: %s   (%.1f s, YARN "
                    + "start included)", outcome.line(), seconds) : "Hadoop job " + outcome.line());
        }
        if (stop.getCount() == 0) {
            return;
        }
        out.println("Resuming 'analytics' and 'etl'.");
        out.println();
        frameworks.forEach(GreedyFramework::resume);
        clients.forEach(SchedulerClient::revive);
    }

    private SchedulerClient client(LocalCluster cluster, String name, String role, GreedyFramework f) {
        FrameworkInfo info = new FrameworkInfo(null, name, role, null, null, null, 0.0, List.of());
        return SchedulerClient.builder(cluster.master().address(), info, f).security(clients).build();
    }

    private static void printShares(PrintWriter out, MasterHttp master) {
        List<RoleView> roles = Json.mapper().convertValue(PsCommand.readTree(master.get("/api/v1/roles")),
                new TypeReference<>() { });
        Table t = new Table("ROLE", "WEIGHT", "ALLOCATED", "DOMINANT SHARE");
        for (RoleView r : roles) {
            t.row(r.name(), Format.num(r.weight()), Format.cpusMem(r.allocated()), Format.percent(r.dominantShare()));
        }
        t.print(out);
    }
}
