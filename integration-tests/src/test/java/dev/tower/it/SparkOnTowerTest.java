package dev.tower.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.model.TaskState;
import dev.tower.api.operator.AgentView;
import dev.tower.api.operator.TaskView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Stock {@code spark-submit} (client deploy mode, from the Spark home the build assembles) against a master and two
 * agents running as separate JVMs: the only thing that says "Tower" is {@code --master spark+tower://…}.
 */
@ExtendWith(LogsOnFailure.class)
class SparkOnTowerTest {
    static final Path SPARK_HOME = Cluster.projectRoot().resolve("spark-backend/target/spark-home");
    static final Path EXAMPLES = SPARK_HOME.resolve("examples/jars/tower-spark-examples.jar");
    private static final Duration JOB_TIMEOUT = Duration.ofMinutes(3);

    private Cluster cluster;

    @BeforeAll
    static void sparkHomeIsBuilt() {
        assertThat(SPARK_HOME.resolve("bin/spark-submit")).as("the reactor builds spark-backend before these tests")
                .isExecutable();
        assertThat(EXAMPLES).isRegularFile();
    }

    @BeforeEach
    void startCluster() {
        cluster = Cluster.start("spark", 2, "60s");
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void piRunsOnExecutorsOverBothAgentsAndLeavesNothingBehind() {
        List<String> options = new ArrayList<>(List.of("--total-executor-cores", "4", "--executor-cores", "2"));
        // The build made the Spark home's class data sharing archive (unless -Dtower.cds.skip): with -Xshare:on, an
        // executor JVM that could not use it would not start at all.
        boolean archived = Files.isRegularFile(SPARK_HOME.resolve("cds/executor.args"));
        if (archived) {
            options.addAll(List.of("--conf", "spark.executor.extraJavaOptions=-Xshare:on"));
        }
        TowerProcess driver = submit("pi", options, "dev.tower.spark.examples.Pi", "8");

        assertThat(driver.awaitExit(JOB_TIMEOUT)).as("spark-submit exit code").isZero();
        assertThat(driver.out()).contains("Pi is roughly 3.14");

        List<TaskView> executors = executorTasks();
        assertThat(executors).as("executor tasks").hasSize(2)
                .allSatisfy(t -> assertThat(t.resources().scalar("cpus")).isEqualTo(2.0));
        assertThat(executors.stream().map(TaskView::agentId).collect(Collectors.toSet())).as("agents used").hasSize(2);
        if (archived) {
            assertThat(executors).allSatisfy(t -> assertThat(t.command().value()).contains("/cds/executor.args; fi;"));
        }
        await("framework gone and resources free").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(activeFrameworks()).isEmpty();
            assertThat(cluster.agents()).allSatisfy(a -> assertThat(a.used().scalar("cpus")).isZero());
            assertThat(cluster.tasks()).allSatisfy(t -> assertThat(t.state().isTerminal()).isTrue());
        });
    }

    @Test
    void jobSurvivesTheLossOfAnExecutorAndSparkLogsTowersReason() {
        // The driver's REST API says which executors registered; partitions are long enough that the job is still
        // running when one of them dies.
        int uiPort = Cluster.freePort();
        TowerProcess driver = submit("pi-loss", List.of("--total-executor-cores", "4", "--executor-cores", "2",
                        "--conf", "spark.ui.enabled=true", "--conf", "spark.ui.port=" + uiPort),
                "dev.tower.spark.examples.Pi", "24", "40000000");
        await("two executors registered with the driver").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> registeredExecutors(uiPort).size() == 2);
        String executorId = registeredExecutors(uiPort).get(0);
        TaskView victim = runningExecutors().stream().filter(t -> t.taskId().endsWith("-executor-" + executorId))
                .findFirst().orElseThrow();
        ProcessHandle.of(agentView(victim).path("pid").asLong()).ifPresent(ProcessHandle::destroyForcibly);

        assertThat(driver.awaitExit(JOB_TIMEOUT)).as("spark-submit exit code").isZero();
        assertThat(driver.out()).contains("Pi is roughly 3.14");
        assertThat(driver.err()).as("Spark's log of the loss, with Tower's reason")
                .containsPattern("Lost (an )?executor " + executorId + "\\b[^\\n]*" + victim.taskId() + "[^\\n]*exit");
    }

    /** Ids of the executors registered with the driver and active, from Spark's own REST API. */
    private List<String> registeredExecutors(int uiPort) {
        JsonNode apps = Cluster.readTree(cluster.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + uiPort + "/api/v1/applications"))
                .timeout(Duration.ofSeconds(5)).GET().build()).body());
        String appId = apps.get(0).path("id").asText();
        JsonNode executors = Cluster.readTree(cluster.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + uiPort + "/api/v1/applications/" + appId + "/executors"))
                .timeout(Duration.ofSeconds(5)).GET().build()).body());
        List<String> ids = new ArrayList<>();
        for (JsonNode e : executors) {
            if (!"driver".equals(e.path("id").asText()) && e.path("isActive").asBoolean()) {
                ids.add(e.path("id").asText());
            }
        }
        return ids;
    }

    @Test
    void dynamicAllocationGrowsUnderABacklogAndShrinksWhenIdle() {
        TowerProcess driver = submit("dynamic", List.of("--executor-cores", "1",
                        "--conf", "spark.dynamicAllocation.enabled=true",
                        "--conf", "spark.dynamicAllocation.shuffleTracking.enabled=true",
                        "--conf", "spark.dynamicAllocation.minExecutors=1",
                        "--conf", "spark.dynamicAllocation.initialExecutors=1",
                        "--conf", "spark.dynamicAllocation.maxExecutors=4",
                        "--conf", "spark.dynamicAllocation.schedulerBacklogTimeout=1s",
                        "--conf", "spark.dynamicAllocation.sustainedSchedulerBacklogTimeout=1s",
                        "--conf", "spark.dynamicAllocation.executorIdleTimeout=3s"),
                "dev.tower.spark.examples.Backlog", "60", "1000", "60");

        await("executors grow under the backlog").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                .until(() -> runningExecutors().size() >= 3);
        await("the backlog is done").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                .until(() -> driver.out().contains("backlog done"));
        await("executors fall back to the minimum when idle").atMost(Duration.ofSeconds(45))
                .pollInterval(Duration.ofMillis(250)).until(() -> runningExecutors().size() == 1);
        assertThat(executorTasks().stream().filter(t -> t.state() == TaskState.KILLED).count())
                .as("executors given back").isGreaterThanOrEqualTo(2);
        driver.destroy();
    }

    @Test
    void twoApplicationsInEquallyWeightedRolesShareTheCluster() {
        List<String> half = List.of("--total-executor-cores", "4", "--executor-cores", "2");
        TowerProcess a = submit("role-a", withRole("analytics", half), "dev.tower.spark.examples.Pi", "24", "20000000");
        TowerProcess b = submit("role-b", withRole("reporting", half), "dev.tower.spark.examples.Pi", "24", "20000000");

        await("both applications hold executors at once").atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(250)).until(() -> {
                    Map<String, Double> cpus = cpusByRole();
                    return cpus.getOrDefault("analytics", 0.0) > 0 && cpus.getOrDefault("reporting", 0.0) > 0;
                });
        Map<String, Double> cpus = cpusByRole();
        assertThat(Math.abs(cpus.get("analytics") - cpus.get("reporting"))).as("cores of each role: %s", cpus)
                .isLessThanOrEqualTo(2.0);

        assertThat(a.awaitExit(JOB_TIMEOUT)).isZero();
        assertThat(b.awaitExit(JOB_TIMEOUT)).isZero();
        assertThat(a.out()).contains("Pi is roughly 3.14");
        assertThat(b.out()).contains("Pi is roughly 3.14");
    }

    @Test
    void aBadTowerSettingFailsFastNamingIt() {
        TowerProcess driver = submit("bad", List.of("--conf", "spark.tower.executor.maxPerAgent=lots"),
                "dev.tower.spark.examples.Pi", "2");
        assertThat(driver.awaitExit(JOB_TIMEOUT)).isNotZero();
        assertThat(driver.err()).contains("spark.tower.executor.maxPerAgent");
        assertThat(activeFrameworks()).isEmpty();
    }

    // ---- helpers ----

    private static List<String> withRole(String role, List<String> args) {
        List<String> out = new ArrayList<>(args);
        out.addAll(List.of("--conf", "spark.tower.role=" + role));
        return out;
    }

    private TowerProcess submit(String name, List<String> options, String mainClass, String... args) {
        List<String> cmd = new ArrayList<>(List.of(SPARK_HOME.resolve("bin/spark-submit").toString(),
                "--master", "spark+tower://" + cluster.master(),
                "--conf", "spark.driver.host=127.0.0.1",
                "--conf", "spark.ui.enabled=false",
                "--executor-memory", "512m",
                "--driver-memory", "512m"));
        cmd.addAll(options);
        cmd.addAll(List.of("--class", mainClass, EXAMPLES.toString()));
        cmd.addAll(List.of(args));
        return cluster.spawnCommand("spark-" + name, cmd, Map.of("SPARK_HOME", SPARK_HOME.toString()));
    }





    private List<TaskView> executorTasks() {
        return cluster.tasks().stream()
                .filter(t -> t.command() != null && String.valueOf(t.command()).contains("CoarseGrainedExecutorBackend"))
                .toList();
    }

    private List<TaskView> runningExecutors() {
        return executorTasks().stream().filter(t -> t.state() == TaskState.RUNNING).toList();
    }

    private List<JsonNode> activeFrameworks() {
        List<JsonNode> out = new ArrayList<>();
        Cluster.readTree(cluster.getOk("/api/v1/frameworks")).forEach(out::add);
        return out;
    }

    private Map<String, Double> cpusByRole() {
        Map<String, Double> out = new java.util.HashMap<>();
        for (JsonNode role : Cluster.readTree(cluster.getOk("/api/v1/roles"))) {
            out.put(role.path("name").asText(), role.path("allocated").path("cpus").asDouble(0));
        }
        return out;
    }

    /** The task as the agent running it shows it (pid, sandbox). */
    private JsonNode agentView(TaskView task) {
        AgentView agent = cluster.agents().stream().filter(a -> a.id().equals(task.agentId())).findFirst().orElseThrow();
        JsonNode state = Cluster.readTree(cluster.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://" + agent.hostname() + ":" + agent.port() + "/api/v1/state"))
                .timeout(Duration.ofSeconds(10)).GET().build()).body());
        for (JsonNode t : state.path("tasks")) {
            if (t.path("taskId").asText().equals(task.taskId()) && t.hasNonNull("pid")) {
                return t;
            }
        }
        throw new AssertionError("agent " + agent.id() + " does not show a pid for " + task.taskId() + ": " + state);
    }
}
