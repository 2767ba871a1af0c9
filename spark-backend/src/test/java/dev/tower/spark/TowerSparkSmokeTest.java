package dev.tower.spark;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tower.agent.Agent;
import dev.tower.agent.AgentConfig;
import dev.tower.api.codec.Json;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskState;
import dev.tower.api.operator.FrameworkView;
import dev.tower.api.operator.TaskView;
import dev.tower.manager.Master;
import dev.tower.manager.MasterOptions;
import dev.tower.spark.cds.ExecutorArchiveBuilder;
import dev.tower.spark.cds.ExecutorClassData;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A Spark application on a Tower master and agent running in this JVM: the driver is this test, the executors are
 * Tower tasks (child JVMs) started from a Spark home whose {@code jars/} are this test's classpath, the way a Tower
 * distribution lays Spark out.
 */
@Timeout(120)
class TowerSparkSmokeTest {
    private static Path work;
    private static Master master;
    private static Agent agent;
    private static JavaSparkContext spark;
    private static final AtomicInteger HOMES = new AtomicInteger();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void startCluster() throws IOException {
        work = Files.createTempDirectory("tower-spark-smoke");
        master = Master.start(MasterOptions.defaults(work.resolve("master")).withPort(0));
        agent = Agent.start(AgentConfig.defaults(master.address(), work.resolve("agent")).withPort(0)
                .withResources(Resources.parse("cpus:4;mem:8192"))
                .withAttributes(Map.of("rack", "r1")));
        await().atMost(Duration.ofSeconds(20)).until(agent::isSubscribed);
    }

    @AfterAll
    static void stopCluster() throws IOException {
        if (spark != null) {
            spark.stop();
        }
        if (agent != null) {
            try {
                agent.shutdownTasks();
            } finally {
                agent.close();
            }
        }
        if (master != null) {
            master.close();
        }
        if (work != null) {
            try (Stream<Path> paths = Files.walk(work)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void runsAJobOnTowerExecutorsAndEndsTheFrameworkOnStop() throws Exception {
        SparkConf conf = baseConf("tower-smoke")
                .set("spark.cores.max", "2")
                .set("spark.tower.constraints", "rack:r1");
        spark = new JavaSparkContext(conf);
        String appId = spark.sc().applicationId();
        assertThat(appId).startsWith("fw-");
        assertThat(frameworks()).extracting(FrameworkView::id).contains(appId);

        List<Integer> numbers = IntStream.rangeClosed(1, 1000).boxed().toList();
        int sum = spark.parallelize(numbers, 4).reduce(Integer::sum);
        assertThat(sum).isEqualTo(500500);
        assertThat(runningTasks(appId)).hasSize(2)
                .allSatisfy(t -> assertThat(t.taskId()).startsWith(appId + "-executor-"));

        spark.stop();
        spark = null;
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(frameworks()).extracting(FrameworkView::id).doesNotContain(appId);
            assertThat(runningTasks(appId)).isEmpty();
        });
    }

    @Test
    void dynamicAllocationGrowsAndShrinksExecutorsAndSuppressesOffersWhenIdle() throws Exception {
        SparkConf conf = baseConf("tower-dynamic")
                .set("spark.dynamicAllocation.enabled", "true")
                .set("spark.dynamicAllocation.shuffleTracking.enabled", "true")
                .set("spark.dynamicAllocation.minExecutors", "0")
                .set("spark.dynamicAllocation.initialExecutors", "0")
                .set("spark.dynamicAllocation.maxExecutors", "2")
                .set("spark.dynamicAllocation.schedulerBacklogTimeout", "1s")
                .set("spark.dynamicAllocation.executorIdleTimeout", "1s");
        spark = new JavaSparkContext(conf);
        String appId = spark.sc().applicationId();
        assertThat(runningTasks(appId)).isEmpty();

        for (int round = 1; round <= 2; round++) {
            List<Integer> numbers = IntStream.rangeClosed(1, 1000).boxed().toList();
            assertThat(spark.parallelize(numbers, 4).reduce(Integer::sum)).isEqualTo(500500);
            assertThat(runningTasks(appId)).as("executors of round %d", round).isNotEmpty();
            // Idle executors are killed, and an application that wants nothing stops taking offers.
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(runningTasks(appId)).isEmpty();
                assertThat(framework(appId).suppressed()).isTrue();
            });
        }
        spark.stop();
        spark = null;
        await().atMost(Duration.ofSeconds(30)).until(() -> frameworks().stream().noneMatch(f -> f.id().equals(appId)));
    }

    @Test
    void stopsPlacingExecutorsOnAnAgentWhereTheyKeepFailing() throws Exception {
        // The executor's java does not exist on the agent: each executor task fails at once.
        SparkConf conf = baseConf("tower-failing")
                .set("spark.executor.instances", "1")
                .set("spark.executorEnv.JAVA_HOME", "/nonexistent/java/home")
                .set("spark.tower.maxAgentFailures", "2");
        spark = new JavaSparkContext(conf);
        String appId = spark.sc().applicationId();
        await().atMost(Duration.ofSeconds(20)).until(() -> failedTasks(appId).size() >= 2);
        // The first failure brings a replacement; the second excludes the only agent: nothing more is launched,
        // although an executor is still wanted.
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                .until(() -> tasks(appId).size() == failedTasks(appId).size());
        assertThat(failedTasks(appId)).extracting(t -> t.statuses().get(t.statuses().size() - 1).reason())
                .containsExactly("exited with status 127", "exited with status 127");
        spark.stop();
        spark = null;
    }

    @Test
    void executorsCanRunFromADistributionFetchedIntoTheirSandbox() throws Exception {
        // A distribution archive like Spark's: <name>/bin/spark-class and <name>/jars. The stand-in spark-class does
        // what Spark's does for an executor: java on the jars with SPARK_EXECUTOR_{CLASSPATH,OPTS,MEMORY}.
        Path dist = work.resolve("dist");
        Path home = sparkHomeOfThisClasspath(new ArrayList<>());
        Path unpacked = Files.createDirectories(dist.resolve("spark-test-bin"));
        Files.move(home.resolve("jars"), unpacked.resolve("jars"));
        Path sparkClass = Files.createDirectories(unpacked.resolve("bin")).resolve("spark-class");
        Files.writeString(sparkClass, String.join("\n",
                "#!/bin/sh",
                "here=$(cd \"$(dirname \"$0\")/..\" && pwd)",
                "cp=\"$here/jars/*\"",
                "[ -n \"$SPARK_EXECUTOR_CLASSPATH\" ] && cp=\"$SPARK_EXECUTOR_CLASSPATH:$cp\"",
                "eval \"exec java -cp \\\"\\$cp\\\" $SPARK_EXECUTOR_OPTS -Xmx$SPARK_EXECUTOR_MEMORY \\\"\\$@\\\"\"",
                ""));
        assertThat(sparkClass.toFile().setExecutable(true)).isTrue();
        Path archive = dist.resolve("spark-test-bin.tgz");
        Process tar = new ProcessBuilder("tar", "-czf", archive.toString(), "-C", dist.toString(), "spark-test-bin")
                .inheritIO().start();
        assertThat(tar.waitFor()).isZero();

        SparkConf conf = baseConf("tower-uri")
                .remove("spark.home")
                .set("spark.executor.uri", archive.toUri().toString())
                .set("spark.executor.instances", "1");
        spark = new JavaSparkContext(conf);
        String appId = spark.sc().applicationId();
        List<Integer> numbers = IntStream.rangeClosed(1, 100).boxed().toList();
        assertThat(spark.parallelize(numbers, 2).reduce(Integer::sum)).isEqualTo(5050);
        assertThat(runningTasks(appId)).singleElement()
                .satisfies(t -> assertThat(t.command().value()).contains("cd spark-test-bin*/ && exec ./bin/spark-class"));
        spark.stop();
        spark = null;
    }

    @Test
    void executorsStartFromTheHomesClassDataSharingArchiveAndStillStartWhenItIsDamaged() throws Exception {
        Path home = sparkHomeOfThisClasspath(new ArrayList<>());
        ExecutorClassData data = new ExecutorClassData(home);
        // A small archive (the build trains for the full one): the executor's main class and what it needs first.
        Path cdsWork = Files.createDirectories(work.resolve("cds-work"));
        Path classList = cdsWork.resolve("classes.lst");
        Files.write(classList, List.of("java/lang/Object", "scala/Tuple2",
                "org/apache/spark/executor/CoarseGrainedExecutorBackend"));
        ExecutorArchiveBuilder.make(data, classList, cdsWork);
        List<Integer> numbers = IntStream.rangeClosed(1, 100).boxed().toList();

        // -Xshare:on: the executor's JVM would refuse to start without the archive. The executors run no closure of
        // this test, so they need no class directory (spark.executor.extraClassPath would turn the archive off).
        spark = new JavaSparkContext(baseConf("tower-cds")
                .remove("spark.executor.extraClassPath")
                .set("spark.home", home.toString())
                .set("spark.executor.instances", "1")
                .set("spark.executorEnv.JAVA_HOME", System.getProperty("java.home"))
                .set("spark.executor.extraJavaOptions", "-Xshare:on"));
        String appId = spark.sc().applicationId();
        assertThat(spark.parallelize(numbers, 2).count()).isEqualTo(100);
        assertThat(runningTasks(appId)).singleElement()
                .satisfies(t -> assertThat(t.command().value()).contains(" @" + data.argFile() + ";"));
        spark.stop();
        spark = null;

        // A damaged archive costs speed only.
        Files.delete(data.archive());
        Files.write(data.archive(), new byte[64 * 1024]);
        assertThat(data.check().usable()).as("the driver cannot tell; the executor's JVM can").isTrue();
        spark = new JavaSparkContext(baseConf("tower-cds-damaged")
                .remove("spark.executor.extraClassPath")
                .set("spark.home", home.toString())
                .set("spark.executor.instances", "1"));
        appId = spark.sc().applicationId();
        assertThat(spark.parallelize(numbers, 2).count()).isEqualTo(100);
        assertThat(runningTasks(appId)).singleElement()
                .satisfies(t -> assertThat(t.command().value()).contains(" @" + data.argFile() + ";"));
        spark.stop();
        spark = null;
    }

    @Test
    void aBadSettingOrAnUnreachableMasterStopsTheApplicationAtStartUp() throws Exception {
        assertThatThrownBy(() -> new JavaSparkContext(baseConf("tower-bad-setting")
                .set("spark.tower.executor.maxPerAgent", "x")))
                .hasStackTraceContaining("spark.tower.executor.maxPerAgent: must be a positive integer, got \"x\"");
        assertThatThrownBy(() -> new JavaSparkContext(baseConf("tower-no-master")
                .setMaster("spark+tower://127.0.0.1:1")
                .set("spark.tower.subscribeTimeout", "1s")))
                .hasStackTraceContaining("Could not subscribe to the Tower master at 127.0.0.1:1 within 1 s "
                        + "(spark.tower.subscribeTimeout)");
        assertThat(frameworks()).extracting(FrameworkView::name)
                .doesNotContain("tower-bad-setting", "tower-no-master");
    }

    private SparkConf baseConf(String appName) throws IOException {
        List<String> classDirs = new ArrayList<>();
        Path sparkHome = sparkHomeOfThisClasspath(classDirs);
        return new SparkConf()
                .setMaster("spark+tower://" + master.address())
                .setAppName(appName)
                .set("spark.home", sparkHome.toString())
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false")
                .set("spark.executor.cores", "1")
                .set("spark.executor.memory", "512m")
                .set("spark.executor.extraClassPath", String.join(File.pathSeparator, classDirs));
    }

    /** A directory laid out like a Spark home: {@code jars/} links to every jar on this JVM's classpath. */
    private static Path sparkHomeOfThisClasspath(List<String> classDirs) throws IOException {
        Path home = Files.createDirectories(work.resolve("spark-home-" + HOMES.incrementAndGet()));
        Path jars = Files.createDirectories(home.resolve("jars"));
        String cp = System.getProperty("java.class.path");
        int i = 0;
        for (String entry : cp.split(File.pathSeparator)) {
            Path p = Path.of(entry).toAbsolutePath();
            if (Files.isDirectory(p)) {
                classDirs.add(p.toString());
            } else if (p.toString().endsWith(".jar") && Files.exists(p)) {
                Files.createSymbolicLink(jars.resolve((i++) + "-" + p.getFileName()), p);
            }
        }
        return home;
    }

    private static List<FrameworkView> frameworks() throws Exception {
        return Json.mapper().readValue(get("/api/v1/frameworks"), new TypeReference<>() { });
    }

    private static FrameworkView framework(String id) throws Exception {
        return frameworks().stream().filter(f -> f.id().equals(id)).findFirst().orElseThrow();
    }

    private static List<TaskView> tasks(String frameworkId) throws Exception {
        List<TaskView> all = Json.mapper().readValue(get("/api/v1/tasks?completed=1000"), new TypeReference<>() { });
        return all.stream().filter(t -> frameworkId.equals(t.frameworkId())).toList();
    }

    private static List<TaskView> runningTasks(String frameworkId) throws Exception {
        return tasks(frameworkId).stream().filter(t -> t.state() == TaskState.RUNNING).toList();
    }

    private static List<TaskView> failedTasks(String frameworkId) throws Exception {
        return tasks(frameworkId).stream().filter(t -> t.state() == TaskState.FAILED).toList();
    }

    private static String get(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + master.address() + path))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
        return r.body();
    }
}
