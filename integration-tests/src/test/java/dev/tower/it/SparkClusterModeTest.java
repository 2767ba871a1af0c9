package dev.tower.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.operator.AgentView;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Stock {@code spark-submit --deploy-mode cluster} against a Tower master (Spark's REST submission protocol on the
 * master's port): the driver runs as a Tower task on an agent, {@code --status} and {@code --kill} work, and
 * {@code --supervise} relaunches a failed driver up to the master's retry limit. One master (relaunch backoff 1 s,
 * at most 2 relaunches) and two agents, all separate JVMs, shared by the tests.
 */
@ExtendWith(LogsOnFailure.class)
class SparkClusterModeTest {
    static final Path SPARK_HOME = SparkOnTowerTest.SPARK_HOME;
    static final Path EXAMPLES = SparkOnTowerTest.EXAMPLES;
    private static final Duration SUBMIT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration DRIVER_TIMEOUT = Duration.ofMinutes(3);
    private static final Pattern SUBMISSION_ID = Pattern.compile("Submission successfully created as (\\S+?)\\.");

    private static Cluster cluster;

    @BeforeAll
    static void startCluster() {
        assertThat(SPARK_HOME.resolve("bin/spark-submit")).as("the reactor builds spark-backend before these tests")
                .isExecutable();
        cluster = Cluster.start("spark-cluster", 2, "60s", List.of("--spark-home", SPARK_HOME.toString(),
                "--driver-max-retries", "2", "--driver-retry-backoff", "1s", "--driver-retry-backoff-max", "2s"));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void piSubmittedInClusterModeRunsOnAnAgentAndFinishes() {
        String id = submit("pi", List.of(), "dev.tower.spark.examples.Pi", "4");

        JsonNode done = awaitDriverState(id, "FINISHED");
        assertThat(done.path("launches").asInt()).isEqualTo(1);
        String taskId = done.path("taskId").asText();
        assertThat(taskId).isEqualTo(id + "-1");
        assertThat(sandboxFile(done, "stdout")).as("the driver's stdout, through the agent's /files API")
                .contains("Pi is roughly 3.1");

        // The driver task ran on an agent, with the dispatcher's role and the submitted driver memory.
        var task = cluster.tasks().stream().filter(t -> t.taskId().equals(taskId)).findFirst().orElseThrow();
        assertThat(task.state().name()).isEqualTo("FINISHED");
        assertThat(task.resources().scalar("mem")).isEqualTo(512 + 384);
        assertThat(String.join(" ", task.command().arguments()))
                .contains("--deploy-mode client", "--master spark+tower://" + cluster.master())
                .doesNotContain("spark.submit.deployMode", "spark.master=");

        Cluster.CliResult status = sparkSubmit("status", "--status", id);
        assertThat(status.stderr()).containsPattern("\"driverState\"\\s*:\\s*\"FINISHED\"");
        JsonNode listed = submissions().stream().filter(s -> s.path("submissionId").asText().equals(id))
                .findFirst().orElseThrow();
        assertThat(listed.path("driverState").asText()).isEqualTo("FINISHED");
        Cluster.CliResult cli = cluster.cli(Duration.ofSeconds(30), "submissions", "-m", cluster.master());
        assertThat(cli.exitCode()).isZero();
        assertThat(cli.stdout()).containsPattern(Pattern.quote(id) + "\\s+\\S+\\s+FINISHED");
    }

    @Test
    void killEndsARunningDriver() {
        String id = submit("kill", List.of(), "dev.tower.spark.examples.Pi", "400", "40000000");
        awaitDriverState(id, "RUNNING");

        Cluster.CliResult kill = sparkSubmit("kill", "--kill", id);
        assertThat(kill.stderr()).containsPattern("\"success\"\\s*:\\s*true");

        JsonNode killed = awaitDriverState(id, "KILLED");
        assertThat(killed.path("launches").asInt()).isEqualTo(1);
        await("the driver task killed").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(cluster.tasks().stream().filter(t -> t.taskId().equals(id + "-1")).findFirst()
                        .orElseThrow().state().name()).isEqualTo("KILLED"));
    }

    @Test
    void aSupervisedDriverWhoseProcessDiesIsRelaunchedAndFinishes() {
        String id = submit("supervised", List.of("--supervise"), "dev.tower.spark.examples.Pi", "8", "5000000");
        JsonNode running = awaitDriverState(id, "RUNNING");
        long pid = driverPid(running);
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();

        JsonNode done = awaitDriverState(id, "FINISHED");
        assertThat(done.path("launches").asInt()).as("launches of %s", done).isEqualTo(2);
        assertThat(done.path("taskIds")).extracting(JsonNode::asText).containsExactly(id + "-1", id + "-2");
        assertThat(sandboxFile(done, "stdout")).contains("Pi is roughly 3.1");
    }

    @Test
    void aDriverThatAlwaysFailsStopsAfterTheRetryLimit() {
        String id = submit("failing", List.of("--supervise"), "dev.tower.spark.examples.NoSuchJob");

        JsonNode failed = awaitDriverState(id, "FAILED");
        assertThat(failed.path("launches").asInt()).as("one launch and two relaunches").isEqualTo(3);
        assertThat(failed.path("message").asText()).contains("gave up after 3 launches", "at most 2 relaunches");

        Cluster.CliResult status = sparkSubmit("status-failed", "--status", id);
        assertThat(status.stderr()).containsPattern("\"driverState\"\\s*:\\s*\"FAILED\"").contains("gave up");
    }

    @Test
    void badSubmissionsGetTheProtocolsErrorResponse() {
        var r = cluster.send(HttpRequest.newBuilder(cluster.uri("/v1/submissions/create"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"CreateSubmissionRequest\",\"mainClass\":\"x\"}"))
                .timeout(Duration.ofSeconds(10)).build());
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode body = Cluster.readTree(r.body());
        assertThat(body.path("action").asText()).isEqualTo("ErrorResponse");
        assertThat(body.path("success").asBoolean(true)).isFalse();
        assertThat(body.path("serverSparkVersion").asText()).isNotEmpty();
        assertThat(body.path("message").asText()).contains("appResource: missing");

        var unknown = cluster.get("/v1/submissions/status/driver-nope");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(Cluster.readTree(unknown.body()).path("success").asBoolean(true)).isFalse();
    }

    // ---- helpers ----

    /** {@code spark-submit --deploy-mode cluster}; returns the submission id it printed. */
    private String submit(String name, List<String> options, String mainClass, String... args) {
        List<String> cmd = new ArrayList<>(List.of(SPARK_HOME.resolve("bin/spark-submit").toString(),
                "--master", "spark://" + cluster.master(), "--deploy-mode", "cluster",
                "--conf", "spark.master.rest.enabled=true",
                "--conf", "spark.ui.enabled=false",
                "--driver-memory", "512m", "--executor-memory", "512m",
                "--total-executor-cores", "2", "--executor-cores", "2"));
        cmd.addAll(options);
        cmd.addAll(List.of("--class", mainClass, EXAMPLES.toString()));
        cmd.addAll(List.of(args));
        TowerProcess p = cluster.spawnCommand("submit-" + name, cmd, Map.of("SPARK_HOME", SPARK_HOME.toString()));
        int exit = p.awaitExit(SUBMIT_TIMEOUT);
        String err = p.err();
        assertThat(exit).as("spark-submit exit code:\n%s", err).isZero();
        Matcher m = SUBMISSION_ID.matcher(err);
        assertThat(m.find()).as("submission id in:\n%s", err).isTrue();
        return m.group(1);
    }

    /** {@code spark-submit --status ID} or {@code --kill ID}. */
    private Cluster.CliResult sparkSubmit(String name, String... args) {
        List<String> cmd = new ArrayList<>(List.of(SPARK_HOME.resolve("bin/spark-submit").toString(),
                "--master", "spark://" + cluster.master()));
        cmd.addAll(List.of(args));
        TowerProcess p = cluster.spawnCommand("submit-" + name, cmd, Map.of("SPARK_HOME", SPARK_HOME.toString()));
        int exit = p.awaitExit(SUBMIT_TIMEOUT);
        return new Cluster.CliResult(exit, p.out(), p.err());
    }

    private JsonNode awaitDriverState(String id, String state) {
        JsonNode[] last = new JsonNode[1];
        await("driver " + id + " " + state).atMost(DRIVER_TIMEOUT).pollInterval(Duration.ofMillis(250))
                .failFast("driver ended in another state", () -> last[0] != null
                        && List.of("FINISHED", "FAILED", "KILLED", "ERROR").contains(last[0].path("driverState").asText())
                        && !state.equals(last[0].path("driverState").asText()))
                .until(() -> {
                    last[0] = Cluster.readTree(cluster.getOk("/api/v1/submissions/" + id));
                    return state.equals(last[0].path("driverState").asText());
                });
        return last[0];
    }

    private List<JsonNode> submissions() {
        List<JsonNode> out = new ArrayList<>();
        Cluster.readTree(cluster.getOk("/api/v1/submissions")).forEach(out::add);
        return out;
    }

    private AgentView agentOf(JsonNode submission) {
        String agentId = submission.path("agentId").asText();
        return cluster.agents().stream().filter(a -> a.id().equals(agentId)).findFirst().orElseThrow();
    }

    /** A file of the driver's current (or last) task's sandbox, read through the agent's {@code /files} API. */
    private String sandboxFile(JsonNode submission, String path) {
        AgentView agent = agentOf(submission);
        String q = "task=" + enc(submission.path("taskId").asText()) + "&framework="
                + enc(submission.path("frameworkId").asText()) + "&path=" + enc(path);
        var r = cluster.send(HttpRequest.newBuilder(URI.create("http://" + agent.hostname() + ":" + agent.port()
                + "/files/read?" + q)).timeout(Duration.ofSeconds(10)).GET().build());
        assertThat(r.statusCode()).as("GET /files/read?%s: %s", q, r.body()).isEqualTo(200);
        return Cluster.readTree(r.body()).path("data").asText();
    }

    /** The pid of the driver's running task, as its agent reports it. */
    private long driverPid(JsonNode submission) {
        AgentView agent = agentOf(submission);
        String taskId = submission.path("taskId").asText();
        long[] pid = new long[1];
        await("pid of " + taskId).atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            JsonNode state = Cluster.readTree(cluster.send(HttpRequest.newBuilder(URI.create("http://"
                    + agent.hostname() + ":" + agent.port() + "/api/v1/state")).timeout(Duration.ofSeconds(10))
                    .GET().build()).body());
            for (JsonNode t : state.path("tasks")) {
                if (t.path("taskId").asText().equals(taskId) && t.hasNonNull("pid")) {
                    pid[0] = t.path("pid").asLong();
                    return true;
                }
            }
            return false;
        });
        return pid[0];
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }


}
