package dev.tower.it;

import dev.tower.api.client.Scheduler;
import dev.tower.api.client.SchedulerClient;
import dev.tower.api.client.SchedulerDriver;
import dev.tower.api.model.Filters;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Offer;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.operator.TaskView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * YARN on Tower: {@code tower yarn start} against a master and two agents (separate JVMs), then WordCount from the stock
 * {@code hadoop-mapreduce-examples} 3.4.2 submitted by the stock MapReduce client ({@code hadoop jar}, i.e. RunJar)
 * with the configuration {@code tower yarn client-config} wrote. The only thing that says "Tower" is that directory.
 */
@ExtendWith(LogsOnFailure.class)
// Three YARN daemons and a MapReduce job of up to 17 containers on 2 shared cores: more than the default 120 s.
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class YarnOnTowerTest {
    static final Path HADOOP_HOME = Cluster.projectRoot().resolve("hadoop-bridge/target/hadoop-home");
    static final Path EXAMPLES = HADOOP_HOME.resolve("examples/hadoop-mapreduce-examples-3.4.2.jar");
    private static final Duration JOB_TIMEOUT = Duration.ofMinutes(4);
    private static final String PLACEHOLDER = "yarn-placeholder";
    private static final List<String> WORDS = List.of("tower", "yarn", "offer", "agent", "master", "hadoop", "drf");

    private Cluster cluster;
    private TowerProcess bridge;
    private final List<TowerProcess> agents = new ArrayList<>();
    private Path work;

    @BeforeAll
    static void hadoopHomeIsBuilt() {
        assertThat(HADOOP_HOME.resolve("bin/hadoop")).as("the reactor builds hadoop-bridge before these tests")
                .isExecutable();
        assertThat(EXAMPLES).isRegularFile();
    }

    @BeforeEach
    void startClusterAndBridge() throws IOException {
        // Agents lost for good after 8 s: their tasks turn LOST (test 3) soon enough.
        cluster = Cluster.start("yarn", 0, "8s");
        // Both agents run on this machine: each gets ports of its own, or their daemons would collide.
        for (int i = 0; i < 2; i++) {
            long first = freePortBlock(20, i);
            agents.add(cluster.startAgent("cpus:8;mem:6144;ports:[" + first + "-" + (first + 19) + "]"));
        }
        cluster.awaitActiveAgents(2);
        work = Files.createTempDirectory(cluster.workDir(), "yarn-job");
        long start = System.nanoTime();
        bridge = cluster.cliAsync("yarn", "start", "--master", cluster.master(), "--nodemanagers", "2",
                "--idle-release", "5s");
        await("YARN ready").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    assertThat(bridge.process().isAlive()).as("tower yarn start running").isTrue();
                    return bridge.out().contains("YARN ready");
                });
        System.out.printf("YARN ready %d ms after tower yarn start%n", (System.nanoTime() - start) / 1_000_000);
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void wordCountGrowsNodeManagersWithPlaceholdersThatAreReleasedAfterwards() throws Exception {
        Map<String, Long> expected = writeInput(work.resolve("in"), 8, 3000);
        Path conf = work.resolve("conf");
        Cluster.CliResult config = cluster.cli(Duration.ofSeconds(60), "yarn", "client-config", conf.toString(),
                "--master", cluster.master());
        assertThat(config.exitCode()).as(config.stderr()).isZero();
        assertThat(conf.resolve("yarn-site.xml")).isRegularFile();
        assertThat(conf.resolve("mapred-site.xml")).isRegularFile();
        assertThat(conf.resolve("core-site.xml")).isRegularFile();

        long jobStart = System.nanoTime();
        TowerProcess job = wordCount(conf, work.resolve("in"), work.resolve("out"));

        // While it runs, Tower's state shows the bridge holding agents' resources with placeholder tasks.
        await("placeholder tasks running").atMost(JOB_TIMEOUT).pollInterval(Duration.ofMillis(250))
                .until(() -> !job.process().isAlive() || !runningPlaceholders().isEmpty());
        List<TaskView> held = runningPlaceholders();
        assertThat(held).as("placeholders while the job runs").isNotEmpty();
        Cluster.CliResult status = cluster.cli(Duration.ofSeconds(60), "yarn", "status", "--master", cluster.master());
        assertThat(status.exitCode()).as(status.stderr()).isZero();
        assertThat(status.stdout()).contains("localhost:", "RUNNING", PLACEHOLDER);

        assertThat(job.awaitExit(JOB_TIMEOUT)).as("hadoop jar exit code\n" + job.err()).isZero();
        long jobMs = (System.nanoTime() - jobStart) / 1_000_000;
        assertThat(counts(work.resolve("out"))).isEqualTo(expected);
        String agentOfPlaceholders = held.get(0).agentId();
        double heldMem = placeholderMem(agentOfPlaceholders);

        // Within 30 s of the job's end every placeholder is gone and what they held is offered to others again.
        long end = System.nanoTime();
        await("placeholders released").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> runningPlaceholders().isEmpty()
                        && cluster.tasks().stream().filter(t -> PLACEHOLDER.equals(t.name()))
                        .allMatch(t -> t.state().isTerminal()));
        long releasedMs = (System.nanoTime() - end) / 1_000_000;
        OfferLog offers = new OfferLog();
        SchedulerClient other = SchedulerClient.builder(cluster.master(), FrameworkInfo.named("after-yarn", "*"),
                offers).build().start();
        try {
            await("the placeholders' resources offered to another framework").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> offers.largestMemOn(agentOfPlaceholders) >= heldMem);
        } finally {
            other.teardown().get(10, TimeUnit.SECONDS);
        }
        System.out.printf("WordCount on the bridge: %d ms (%d placeholders running when first seen; %.0f MB held on "
                + "agent %s); released %d ms after the job ended%n", jobMs, held.size(), heldMem, agentOfPlaceholders,
                releasedMs);
        assertThat(bridge.err()).contains("grown by " + PLACEHOLDER, "released");
    }

    @Test
    void placeholdersLostMidJobShrinkTheirNodeAtOnceAndTheJobStillSucceeds() throws Exception {
        Map<String, Long> expected = writeInput(work.resolve("in"), 16, 3000);
        Path conf = work.resolve("conf");
        assertThat(cluster.cli(Duration.ofSeconds(60), "yarn", "client-config", conf.toString(), "--master",
                cluster.master()).exitCode()).isZero();
        TowerProcess job = wordCount(conf, work.resolve("in"), work.resolve("out"));

        // Mid-job: maps have finished on grown capacity and placeholders are still held.
        await("maps done on grown capacity").atMost(JOB_TIMEOUT).pollInterval(Duration.ofMillis(250))
                .until(() -> !job.process().isAlive()
                        || (job.err().matches("(?s).*map [1-9][0-9]?% .*")
                        && !runningPlaceholders().isEmpty()));
        List<TaskView> victims = runningPlaceholders();
        assertThat(victims).as("placeholders while the job runs").isNotEmpty();
        // Their processes die under Tower (as when an agent loses them): Tower reports them FAILED, not killed by
        // the bridge.
        for (TaskView t : victims) {
            ProcessHandle.of(agentTask(t).path("pid").asLong()).ifPresent(ProcessHandle::destroyForcibly);
        }
        await("the bridge shrinks their nodes").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> victims.stream().allMatch(v -> bridge.err().contains(
                        "placeholder " + v.taskId() + " lost (FAILED")));

        assertThat(job.awaitExit(JOB_TIMEOUT)).as("hadoop jar exit code\n" + job.err()).isZero();
        assertThat(counts(work.resolve("out"))).isEqualTo(expected);
        await("placeholders released").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> runningPlaceholders().isEmpty());
    }

    @Test
    void anAgentLostWithItsNodeManagerAndPlaceholdersTakesItsNodeOutAndTheJobStillSucceeds() throws Exception {
        Map<String, Long> expected = writeInput(work.resolve("in"), 16, 3000);
        Path conf = work.resolve("conf");
        assertThat(cluster.cli(Duration.ofSeconds(60), "yarn", "client-config", conf.toString(), "--master",
                cluster.master()).exitCode()).isZero();
        String rmAgent = cluster.tasks().stream().filter(t -> "yarn-resourcemanager".equals(t.name())
                && t.state() == TaskState.RUNNING).findFirst().orElseThrow().agentId();
        TowerProcess victim = agents.stream().filter(a -> !agentId(a).equals(rmAgent)).findFirst().orElseThrow();
        String victimId = agentId(victim);
        TowerProcess job = wordCount(conf, work.resolve("in"), work.resolve("out"));

        await("placeholders on the agent without the ResourceManager").atMost(JOB_TIMEOUT)
                .pollInterval(Duration.ofMillis(250))
                .until(() -> !job.process().isAlive()
                        || runningPlaceholders().stream().anyMatch(t -> victimId.equals(t.agentId())));
        assertThat(runningPlaceholders()).as("placeholders on " + victimId)
                .anyMatch(t -> victimId.equals(t.agentId()));
        cluster.killForcibly(victim);

        // Once the master gives the agent up its tasks are LOST; the bridge takes the node out of YARN (its
        // NodeManager process is an orphan that still heartbeats).
        await("the lost NodeManager's node set to zero").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> bridge.err().matches("(?s).*capability <memory:0, vCores:0>: its NodeManager "
                        + "task yarn-nodemanager-\\d+ ended.*"));
        assertThat(job.awaitExit(JOB_TIMEOUT)).as("hadoop jar exit code\n" + job.err()).isZero();
        assertThat(counts(work.resolve("out"))).isEqualTo(expected);
    }

    @Test
    void aSparkJobAndWordCountShareTheAgentsAtOnceAndBothSucceed() throws Exception {
        Map<String, Long> expected = writeInput(work.resolve("in"), 8, 3000);
        Path conf = work.resolve("conf");
        Cluster.CliResult config = cluster.cli(Duration.ofSeconds(60), "yarn", "client-config", conf.toString(),
                "--master", cluster.master());
        assertThat(config.exitCode()).as(config.stderr()).isZero();

        Path sparkHome = SparkOnTowerTest.SPARK_HOME;
        TowerProcess spark = cluster.spawnCommand("spark-pi", List.of(sparkHome.resolve("bin/spark-submit").toString(),
                "--master", "spark+tower://" + cluster.master(), "--conf", "spark.driver.host=127.0.0.1",
                "--conf", "spark.ui.enabled=false", "--executor-memory", "512m", "--driver-memory", "512m",
                "--total-executor-cores", "2", "--executor-cores", "1", "--conf", "spark.tower.role=analytics",
                "--class", "dev.tower.spark.examples.Pi", SparkOnTowerTest.EXAMPLES.toString(), "24", "40000000"),
                Map.of("SPARK_HOME", sparkHome.toString()));
        TowerProcess job = wordCount(conf, work.resolve("in"), work.resolve("out"));

        // At some moment both hold resources on the agents: Spark's executors and YARN's placeholders.
        java.util.concurrent.atomic.AtomicBoolean together = new java.util.concurrent.atomic.AtomicBoolean();
        await("Spark executors and YARN placeholders running at once").atMost(JOB_TIMEOUT)
                .pollInterval(Duration.ofMillis(250)).until(() -> {
                    List<TaskView> tasks = cluster.tasks();
                    boolean executors = tasks.stream().anyMatch(t -> t.state() == TaskState.RUNNING
                            && String.valueOf(t.command()).contains("CoarseGrainedExecutorBackend"));
                    boolean placeholders = tasks.stream()
                            .anyMatch(t -> PLACEHOLDER.equals(t.name()) && t.state() == TaskState.RUNNING);
                    together.compareAndSet(false, executors && placeholders);
                    return together.get() || !spark.process().isAlive() || !job.process().isAlive();
                });
        assertThat(spark.awaitExit(JOB_TIMEOUT)).as("spark-submit exit code\n" + spark.err()).isZero();
        assertThat(spark.out()).contains("Pi is roughly 3.14");
        assertThat(job.awaitExit(JOB_TIMEOUT)).as("hadoop jar exit code\n" + job.err()).isZero();
        assertThat(counts(work.resolve("out"))).isEqualTo(expected);
        assertThat(together).as("Spark executors and YARN placeholders ran at the same time").isTrue();
    }

    // ---- helpers ----

    private TowerProcess wordCount(Path conf, Path in, Path out) {
        return cluster.spawnCommand("wordcount", List.of(HADOOP_HOME.resolve("bin/hadoop").toString(), "jar",
                        EXAMPLES.toString(), "wordcount", in.toUri().toString(), out.toUri().toString()),
                Map.of("HADOOP_CONF_DIR", conf.toString(), "JAVA_HOME", System.getProperty("java.home")));
    }

    /** The task as its agent shows it (pid, sandbox). */
    private com.fasterxml.jackson.databind.JsonNode agentTask(TaskView task) {
        var agent = cluster.agents().stream().filter(a -> a.id().equals(task.agentId())).findFirst().orElseThrow();
        var state = Cluster.readTree(cluster.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://" + agent.hostname() + ":" + agent.port() + "/api/v1/state"))
                .timeout(Duration.ofSeconds(10)).GET().build()).body());
        for (var t : state.path("tasks")) {
            if (t.path("taskId").asText().equals(task.taskId()) && t.hasNonNull("pid")) {
                return t;
            }
        }
        throw new AssertionError("agent " + agent.id() + " shows no pid for " + task.taskId() + ": " + state);
    }

    private String agentId(TowerProcess agent) {
        int port = cluster.agentPort(agent);
        return cluster.agents().stream().filter(a -> a.port() == port).findFirst().orElseThrow().id();
    }

    private List<TaskView> runningPlaceholders() {
        return cluster.tasks().stream()
                .filter(t -> PLACEHOLDER.equals(t.name()) && t.state() == TaskState.RUNNING).toList();
    }

    /** Memory the placeholders of an agent held, counting every one that ran (they were all there at the peak). */
    private double placeholderMem(String agentId) {
        return cluster.tasks().stream()
                .filter(t -> PLACEHOLDER.equals(t.name()) && agentId.equals(t.agentId()))
                .filter(t -> t.statuses().stream().anyMatch(s -> s.state() == TaskState.RUNNING))
                .mapToDouble(t -> t.resources().mem()).sum();
    }

    /** {@code files} text files of {@code lines} lines of random words; returns how often each word occurs. */
    private static Map<String, Long> writeInput(Path dir, int files, int lines) throws IOException {
        Files.createDirectories(dir);
        Random random = new Random(7);
        Map<String, Long> counts = new TreeMap<>();
        for (int f = 0; f < files; f++) {
            StringBuilder sb = new StringBuilder();
            for (int l = 0; l < lines; l++) {
                for (int w = 0; w < 8; w++) {
                    String word = WORDS.get(random.nextInt(WORDS.size()));
                    counts.merge(word, 1L, Long::sum);
                    sb.append(w == 0 ? "" : " ").append(word);
                }
                sb.append('\n');
            }
            Files.writeString(dir.resolve("part-" + f + ".txt"), sb);
        }
        return counts;
    }

    /** WordCount's output: {@code word<TAB>count} lines of its part files. */
    private static Map<String, Long> counts(Path out) throws IOException {
        assertThat(out.resolve("_SUCCESS")).isRegularFile();
        Map<String, Long> counts = new TreeMap<>();
        try (var parts = Files.list(out)) {
            for (Path p : parts.filter(p -> p.getFileName().toString().startsWith("part-r-")).toList()) {
                for (String line : Files.readAllLines(p)) {
                    String[] kv = line.split("\t");
                    counts.put(kv[0], Long.parseLong(kv[1]));
                }
            }
        }
        return counts;
    }



    /**
     * The first port of {@code size} consecutive ports that are free now, below the ephemeral range, different for
     * each {@code index} (the agents of one test).
     */
    private static long freePortBlock(int size, int index) {
        Random random = new Random();
        for (int attempt = 0; attempt < 200; attempt++) {
            int first = 20000 + index * 5000 + random.nextInt(4000 / size) * size;
            if (allFree(first, size)) {
                return first;
            }
        }
        throw new IllegalStateException("no block of " + size + " free ports");
    }

    private static boolean allFree(int first, int size) {
        for (int p = first; p < first + size; p++) {
            try (ServerSocket s = new ServerSocket(p)) {
                s.setReuseAddress(true);
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    /** A framework that only looks: records offers and declines them. */
    static final class OfferLog implements Scheduler {
        private final List<Offer> offers = new CopyOnWriteArrayList<>();

        @Override
        public void offers(SchedulerDriver driver, List<Offer> batch) {
            offers.addAll(batch);
            driver.decline(batch.stream().map(Offer::id).collect(Collectors.toList()), Filters.refuse(0.5));
        }

        @Override
        public void update(SchedulerDriver driver, TaskStatus status) {
        }

        double largestMemOn(String agentId) {
            return offers.stream().filter(o -> agentId.equals(o.agentId()))
                    .mapToDouble(o -> o.resources().mem()).max().orElse(0);
        }
    }
}
