package dev.tower.it;

import dev.tower.api.client.SchedulerClient;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.operator.AgentView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** An agent JVM killed with SIGKILL: its tasks become UNREACHABLE, then LOST after the timeout, and it goes away. */
@ExtendWith(LogsOnFailure.class)
class AgentLossTest {
    private Cluster cluster;
    private SchedulerClient client;

    @BeforeEach
    void startCluster() {
        cluster = Cluster.start("loss", 2, "3s");
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void tasksOfAKilledAgentBecomeUnreachableThenLost() throws Exception {
        String victimId = cluster.agents().get(0).id();
        RecordingScheduler framework = new RecordingScheduler();
        framework.onlyOn(o -> o.agentId().equals(victimId));
        List<String> ids = List.of("sleeper-1", "sleeper-2");
        framework.submit(ids.stream()
                .map(id -> TaskInfo.of(id, Resources.cpusMem(0.1, 16), CommandInfo.shell("sleep 600"))).toList());
        client = framework.start(cluster, "loss");

        await("both tasks RUNNING").atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(ids).allSatisfy(id ->
                        assertThat(framework.state(id)).isEqualTo(TaskState.RUNNING)));
        assertThat(ids).allSatisfy(id -> assertThat(framework.latest(id).agentId()).isEqualTo(victimId));

        // The agent whose JVM has the tasks as child processes is the one to kill.
        TowerProcess victim = List.of(cluster.process("agent1"), cluster.process("agent2")).stream()
                .filter(p -> p.process().descendants().findAny().isPresent())
                .findFirst().orElseThrow(() -> new AssertionError("no agent has child processes"));
        cluster.killForcibly(victim);

        await("tasks UNREACHABLE").atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(ids).allSatisfy(id ->
                        assertThat(framework.statesOf(id)).contains(TaskState.UNREACHABLE)));
        await("tasks LOST").atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(ids).allSatisfy(id ->
                        assertThat(framework.state(id)).isEqualTo(TaskState.LOST)));
        for (String id : ids) {
            List<TaskState> states = framework.statesOf(id);
            assertThat(states.indexOf(TaskState.UNREACHABLE)).as("%s: %s", id, states)
                    .isLessThan(states.indexOf(TaskState.LOST));
            assertThat(states).as(id).doesNotContain(TaskState.FINISHED, TaskState.FAILED, TaskState.KILLED);
        }
        assertThat(framework.updates()).filteredOn(u -> ids.contains(u.taskId()))
                .extracting(TaskStatus::agentId).containsOnly(victimId);

        await("agent removed").atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(cluster.agents()).extracting(AgentView::id)
                        .doesNotContain(victimId).hasSize(1));
        assertThat(cluster.tasks()).filteredOn(t -> ids.contains(t.taskId()))
                .allSatisfy(t -> assertThat(t.state()).isEqualTo(TaskState.LOST));
    }
}
