package dev.tower.agent.master;

import dev.tower.agent.Agent;
import dev.tower.agent.AgentConfig;
import dev.tower.api.agent.AgentCall;
import dev.tower.api.agent.AgentEvent;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The agent's side of the master protocol, against a fake master that speaks it over real HTTP and SSE. */
class AgentProtocolTest {
    private static final FrameworkInfo FW = FrameworkInfo.named("test", "*").withId("fw1");
    private static final Resources SMALL = Resources.parse("cpus:1;mem:512;disk:1000;ports:[31000-31010]");

    @TempDir
    Path workDir;
    FakeMaster master;
    final List<Agent> agents = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        master = new FakeMaster();
    }

    @AfterEach
    void tearDown() {
        for (Agent a : agents) {
            a.shutdownTasks();
            a.close();
        }
        master.close();
    }

    private Agent start(String masters) {
        Agent agent = Agent.start(AgentConfig.defaults(masters, workDir).withPort(0).withResources(SMALL)
                .withAttributes(Map.of("rack", "r1")).withStatusRetry(Duration.ofMillis(300)));
        agents.add(agent);
        return agent;
    }

    private Agent startAndSubscribe() {
        Agent agent = start(master.address());
        await().until(agent::isSubscribed);
        return agent;
    }

    private void runTask(String taskId, String command) {
        master.send(new AgentEvent.RunTask("fw1", FW, TaskInfo.of(taskId, Resources.cpusMem(0.1, 32), CommandInfo.shell(command))));
    }

    private List<TaskState> states(String taskId) {
        return master.updatesOf(taskId).stream().map(TaskStatus::state).distinct().toList();
    }

    @Test
    void firstSubscriptionGetsAnIdThatIsPresentedAfterARestart() throws Exception {
        Agent agent = startAndSubscribe();
        AgentCall.Subscribe first = master.subscriptions.get(0);
        assertThat(first.agent().id()).isNull();
        assertThat(first.agent().port()).isEqualTo(agent.port());
        assertThat(first.agent().resources()).isEqualTo(SMALL);
        assertThat(first.agent().attributes()).containsEntry("rack", "r1");
        assertThat(agent.agentId()).contains("agent-1");
        assertThat(Files.readString(workDir.resolve("meta/agent.id")).trim()).isEqualTo("agent-1");

        agent.close();
        agents.remove(agent);
        master.assignedId = "someone-else";
        Agent again = startAndSubscribe();
        assertThat(master.subscriptions.get(master.subscriptions.size() - 1).agent().id()).isEqualTo("agent-1");
        assertThat(again.agentId()).contains("agent-1");
    }

    @Test
    void runTaskSendsUpdatesOnTheStreamUntilEachIsAcknowledged() {
        startAndSubscribe();
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        // Acknowledge each update only the second time it arrives, so every one must be resent.
        master.autoAck = s -> seen.merge(s.uuid(), 1, Integer::sum) >= 2;

        runTask("t1", "echo hi");

        await().atMost(Duration.ofSeconds(15)).until(() -> states("t1").contains(TaskState.FINISHED)
                && seen.values().stream().allMatch(n -> n >= 2));
        assertThat(states("t1")).containsExactly(TaskState.STARTING, TaskState.RUNNING, TaskState.FINISHED);
        List<TaskStatus> updates = master.updatesOf("t1");
        assertThat(updates.stream().map(TaskStatus::uuid).distinct()).hasSize(3);
        assertThat(updates).allSatisfy(s -> {
            assertThat(s.source()).isEqualTo(TaskStatus.Source.AGENT);
            assertThat(s.agentId()).isEqualTo("agent-1");
            assertThat(s.frameworkId()).isEqualTo("fw1");
            assertThat(s.timestamp()).isPositive();
        });
        assertThat(master.calls).filteredOn(c -> c.call() instanceof AgentCall.Update)
                .allSatisfy(c -> assertThat(c.streamId()).isEqualTo(master.streamId()));
        // Ordered: no update was sent before the previous one was acknowledged.
        assertThat(updates.stream().map(TaskStatus::state).toList())
                .containsExactly(TaskState.STARTING, TaskState.STARTING, TaskState.RUNNING, TaskState.RUNNING,
                        TaskState.FINISHED, TaskState.FINISHED);
        // Heartbeats flow on the same stream.
        await().until(() -> master.calls.stream().anyMatch(c -> c.call() instanceof AgentCall.Heartbeat));
    }

    @Test
    void reconnectionReportsTheRunningTasksUnderTheSameId() {
        Agent agent = startAndSubscribe();
        runTask("long", "sleep 1000");
        await().until(() -> states("long").contains(TaskState.RUNNING));

        master.dropStream();

        await().until(() -> master.subscriptions.size() >= 2 && agent.isSubscribed());
        AgentCall.Subscribe again = master.subscriptions.get(master.subscriptions.size() - 1);
        assertThat(again.agent().id()).isEqualTo("agent-1");
        assertThat(again.tasks()).singleElement().satisfies(r -> {
            assertThat(r.frameworkId()).isEqualTo("fw1");
            assertThat(r.task().taskId()).isEqualTo("long");
            assertThat(r.state()).isEqualTo(TaskState.RUNNING);
            assertThat(r.framework()).isEqualTo(FW);
        });

        master.send(new AgentEvent.KillTask("fw1", "long", 1.0));
        await().until(() -> states("long").contains(TaskState.KILLED));
    }

    @Test
    void silentStreamLeadsToAResubscription() {
        master.sendHeartbeats = false;
        master.heartbeatSeconds = 0.2;
        startAndSubscribe();
        // 3 x 0.2 s + 1 s of silence, then a new subscription.
        await().atMost(Duration.ofSeconds(6)).until(() -> master.subscriptions.size() >= 2);
        assertThat(master.subscriptions.get(1).agent().id()).isEqualTo("agent-1");
    }

    @Test
    void duplicateRunTaskRunsTheTaskOnce() throws Exception {
        Agent agent = startAndSubscribe();
        master.autoAck = s -> !s.state().isTerminal();
        TaskInfo task = TaskInfo.of("once", Resources.cpusMem(0.1, 32), CommandInfo.shell("echo ran"));
        master.send(new AgentEvent.RunTask("fw1", FW, task));
        master.send(new AgentEvent.RunTask("fw1", FW, task));

        await().until(() -> states("once").contains(TaskState.FINISHED));
        master.send(new AgentEvent.RunTask("fw1", FW, task));
        assertThat(master.updatesOf("once").stream().filter(s -> s.state() == TaskState.STARTING)
                .map(TaskStatus::uuid).distinct()).hasSize(1);
        Path sandbox = workDir.resolve("sandboxes/fw1/once");
        assertThat(Files.readString(sandbox.resolve("stdout"))).isEqualTo("ran\n");
        assertThat(sandbox.resolveSibling("once.1")).doesNotExist();
        assertThat(agent.state().tasks()).singleElement().satisfies(t -> assertThat(t.state()).isEqualTo(TaskState.FINISHED));

        // Once the terminal update is acknowledged the task is forgotten.
        master.ack(master.updatesOf("once").get(master.updatesOf("once").size() - 1));
        await().until(() -> agent.state().tasks().isEmpty());
    }

    @Test
    void restartResendsTheUnacknowledgedUpdates() {
        Agent agent = startAndSubscribe();
        master.autoAck = s -> s.state() == TaskState.STARTING;
        runTask("t2", "exit 0");
        await().until(() -> states("t2").contains(TaskState.RUNNING));
        agent.close();
        agents.remove(agent);
        TaskStatus unacked = master.updatesOf("t2").stream().filter(s -> s.state() == TaskState.RUNNING).findFirst().orElseThrow();
        int before = master.updates().size();

        master.autoAck = s -> true;
        startAndSubscribe();

        await().until(() -> master.updates().size() > before && states("t2").contains(TaskState.FINISHED));
        assertThat(master.updates().get(before).uuid()).isEqualTo(unacked.uuid());
        AgentCall.Subscribe resub = master.subscriptions.get(master.subscriptions.size() - 1);
        assertThat(resub.tasks()).singleElement().satisfies(r -> assertThat(r.task().taskId()).isEqualTo("t2"));
    }

    @Test
    void unknownTaskKillIsAnsweredWithDropped() {
        startAndSubscribe();
        master.send(new AgentEvent.KillTask("fw1", "ghost", null));
        await().until(() -> states("ghost").contains(TaskState.DROPPED));
        assertThat(master.updatesOf("ghost").get(0).reason()).isEqualTo("unknown task");
    }

    @Test
    void followsRedirectToTheLeaderAndSkipsUnavailableMasters() throws Exception {
        try (FakeMaster standby = new FakeMaster(); FakeMaster noLeader = new FakeMaster()) {
            standby.refuseWith = 307;
            standby.redirectTo = "http://" + master.address() + "/api/v1/agent";
            noLeader.refuseWith = 503;
            Agent agent = start(noLeader.address() + "," + standby.address());
            await().until(agent::isSubscribed);
            assertThat(noLeader.subscriptions).isNotEmpty();
            assertThat(standby.subscriptions).isNotEmpty();
            assertThat(master.subscriptions).hasSize(1);
        }
    }
}
