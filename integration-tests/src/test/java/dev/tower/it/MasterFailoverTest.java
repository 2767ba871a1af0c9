package dev.tower.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.client.SchedulerClient;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import org.apache.curator.test.InstanceSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three masters over a 3-server ZooKeeper ensemble and two agents: the leader killed, the leader's ZooKeeper server
 * stopped, and the leader partitioned from ZooKeeper, each while a framework runs tasks. Nothing may be lost, and no
 * task may run twice.
 */
@ExtendWith(LogsOnFailure.class)
class MasterFailoverTest {
    private static final int SHORT = 500;
    private static final int LONG = 5;

    private HaCluster ha;
    private SchedulerClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (ha != null) {
            ha.close();
        }
    }

    @Test
    void killingTheLeaderLosesNoTaskAndRunsNoneTwice() throws Exception {
        ha = HaCluster.start("failover", 3, 2, "2s", "10s");
        Path launches = ha.processes().workDir().resolve("launches");
        CarefulScheduler framework = new CarefulScheduler();
        client = framework.start(ha.zkUrl(), "failover");
        framework.submit(longTasks(launches));
        framework.submit(shortTasks(launches));

        await("long tasks RUNNING").atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(IntStream.range(0, LONG).mapToObj(i -> framework.state("long-" + i)))
                        .containsOnly(TaskState.RUNNING));
        Map<String, Long> pidsBefore = longTaskPids();
        assertThat(pidsBefore).hasSize(LONG);
        await("100 short tasks FINISHED").atMost(Duration.ofSeconds(120))
                .until(() -> framework.countIn(TaskState.FINISHED) >= 100);

        HaCluster.MasterNode old = ha.leader().orElseThrow();
        long oldEpoch = ha.epoch(old);
        ha.kill(old);
        HaCluster.MasterNode leader = ha.awaitNewLeader(old, oldEpoch, Duration.ofSeconds(30));

        await("every short task FINISHED at the framework").atMost(Duration.ofSeconds(180))
                .untilAsserted(() -> assertThat(IntStream.range(0, SHORT)
                        .filter(i -> framework.state("short-" + i) != TaskState.FINISHED)
                        .mapToObj(i -> "short-" + i + "=" + framework.state("short-" + i)).toList()).isEmpty());
        await("every short task's updates acknowledged (agents hold only the long tasks)")
                .atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(ha.agentTasks())
                        .extracting(t -> t.path("taskId").asText()).allMatch(id -> id.startsWith("long-")));

        assertThat(longTaskPids()).as("long tasks keep their processes").isEqualTo(pidsBefore);
        assertThat(IntStream.range(0, LONG).mapToObj(i -> framework.state("long-" + i)))
                .containsOnly(TaskState.RUNNING);
        JsonNode tasks = ha.leaderGet("/api/v1/tasks");
        Map<String, String> states = new HashMap<>();
        tasks.forEach(t -> states.put(t.path("taskId").asText(), t.path("state").asText()));
        assertThat(IntStream.range(0, LONG).mapToObj(i -> states.get("long-" + i)))
                .as("the new leader (master %d) knows the long tasks", leader.index()).containsOnly("RUNNING");
        assertLaunchedOnce(launches);
        assertThat(framework.subscriptions()).as("the framework re-subscribed to the new leader").isGreaterThan(1);
    }

    @Test
    void stoppingTheLeadersZooKeeperServerLosesNothing() throws Exception {
        ha = HaCluster.start("zkdown", 3, 2, "4s", "10s");
        Path launches = ha.processes().workDir().resolve("launches");
        CarefulScheduler framework = new CarefulScheduler();
        client = framework.start(ha.zkUrl(), "zkdown");
        framework.submit(shortTasks(launches).subList(0, 200));
        await("50 short tasks FINISHED").atMost(Duration.ofSeconds(120))
                .until(() -> framework.countIn(TaskState.FINISHED) >= 50);

        HaCluster.MasterNode leader = ha.leader().orElseThrow();
        InstanceSpec server = ha.zkServerOf(leader);
        ha.killZooKeeperServer(server);

        await("every task FINISHED").atMost(Duration.ofSeconds(180))
                .untilAsserted(() -> assertThat(IntStream.range(0, 200)
                        .filter(i -> framework.state("short-" + i) != TaskState.FINISHED)
                        .mapToObj(i -> "short-" + i + "=" + framework.state("short-" + i)).toList()).isEmpty());
        assertLaunchedOnce(launches);
        ha.awaitLeader(Duration.ofSeconds(30));
    }

    @Test
    void aLeaderCutOffFromZooKeeperStopsLeadingWhileAnotherTakesOver() throws Exception {
        ha = HaCluster.start("partition", 3, 2, "2s", "10s");
        HaCluster.MasterNode old = ha.leader().orElseThrow();
        long oldEpoch = ha.epoch(old);

        ha.partitionFromZooKeeper(old);

        HaCluster.MasterNode leader = ha.awaitNewLeader(old, oldEpoch, Duration.ofSeconds(30));
        await("the partitioned master stops leading").atMost(Duration.ofSeconds(30))
                .until(() -> !ha.isLeader(old));
        // Fenced: it serves no API and makes no offers, so a framework pointed at it goes elsewhere.
        var reply = ha.processes().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://" + old.address() + "/api/v1/state")).GET().build());
        assertThat(reply.statusCode()).as("state from the partitioned master").isIn(307, 503);
        ha.awaitActiveAgents(2, Duration.ofSeconds(30));

        CarefulScheduler framework = new CarefulScheduler();
        client = framework.start(ha.zkUrl(), "after-partition");
        framework.submit(List.of(TaskInfo.of("after", Resources.cpusMem(0.1, 16), CommandInfo.shell("true"))));
        await("a task runs under the new leader").atMost(Duration.ofSeconds(30))
                .until(() -> framework.state("after") == TaskState.FINISHED);
        assertThat(ha.epoch(leader)).isGreaterThan(oldEpoch);
    }

    @Test
    void anAgentKilledAndRestartedReattachesToItsTasksAndReportsRealExitCodes() throws Exception {
        ha = HaCluster.start("agent-restart", 3, 2, "2s", "10s");
        Path go = ha.processes().workDir().resolve("go");
        CarefulScheduler framework = new CarefulScheduler();
        client = framework.start(ha.zkUrl(), "agent-restart");
        framework.submit(List.of(
                TaskInfo.of("sleeper", Resources.cpusMem(0.1, 16), CommandInfo.shell("exec sleep 600")),
                TaskInfo.of("exits-3", Resources.cpusMem(0.1, 16),
                        CommandInfo.shell("while [ ! -f " + go + " ]; do sleep 0.05; done; exit 3"))));
        await("both RUNNING").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(java.util.Arrays.asList(framework.state("sleeper"), framework.state("exits-3")))
                        .containsOnly(TaskState.RUNNING));
        Map<String, Long> pids = new HashMap<>();
        ha.agentTasks().forEach(t -> pids.put(t.path("taskId").asText(), t.path("pid").asLong()));
        java.util.Set<TowerProcess> hosts = new java.util.LinkedHashSet<>(
                List.of(ha.agentOf("sleeper"), ha.agentOf("exits-3")));

        hosts.forEach(ha::kill);
        Files.createFile(go);
        await("exits-3 ended while its agent is down").atMost(Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(pids.get("exits-3")).map(h -> !h.isAlive()).orElse(true));
        hosts.forEach(ha::restart);

        await("exits-3 FAILED with its own exit code").atMost(Duration.ofSeconds(60))
                .until(() -> framework.state("exits-3") == TaskState.FAILED);
        assertThat(framework.latest("exits-3").exitCode()).isEqualTo(3);
        await("the sleeper RUNNING at its restarted agent, same pid").atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(ha.agentTasks()).filteredOn(t -> "sleeper".equals(
                                t.path("taskId").asText()))
                        .singleElement().satisfies(t -> {
                            assertThat(t.path("pid").asLong()).isEqualTo(pids.get("sleeper"));
                            assertThat(t.path("state").asText()).isEqualTo("RUNNING");
                        }));
        ha.awaitActiveAgents(2, Duration.ofSeconds(30));
        assertThat(framework.state("sleeper")).isEqualTo(TaskState.RUNNING);
        assertThat(framework.updates()).filteredOn(u -> u.taskId().equals("sleeper"))
                .extracting(u -> u.state()).doesNotContain(TaskState.LOST, TaskState.FAILED, TaskState.KILLED);
    }

    private static List<TaskInfo> longTasks(Path launches) {
        return IntStream.range(0, LONG).mapToObj(i -> TaskInfo.of("long-" + i, Resources.cpusMem(0.1, 16),
                CommandInfo.shell("echo long-" + i + " >> " + launches + "; exec sleep 600"))).toList();
    }

    private static List<TaskInfo> shortTasks(Path launches) {
        return IntStream.range(0, SHORT).mapToObj(i -> TaskInfo.of("short-" + i, Resources.cpusMem(0.1, 16),
                CommandInfo.shell("echo short-" + i + " >> " + launches + "; sleep 0.2"))).toList();
    }

    private Map<String, Long> longTaskPids() {
        return ha.agentTasks().stream().filter(t -> t.path("taskId").asText().startsWith("long-"))
                .collect(Collectors.toMap(t -> t.path("taskId").asText(), t -> t.path("pid").asLong()));
    }

    /** Every task appends its id when it starts: each id must appear exactly once. */
    private static void assertLaunchedOnce(Path launches) throws java.io.IOException {
        Map<String, Long> counts = Files.readAllLines(launches).stream()
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        assertThat(counts).allSatisfy((id, n) -> assertThat(n).as("launches of %s", id).isEqualTo(1L));
    }
}
