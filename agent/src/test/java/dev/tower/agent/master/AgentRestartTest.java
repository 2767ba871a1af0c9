package dev.tower.agent.master;

import dev.tower.agent.Agent;
import dev.tower.agent.AgentConfig;
import dev.tower.agent.task.TaskView;
import dev.tower.api.agent.AgentCall;
import dev.tower.api.agent.AgentEvent;
import dev.tower.api.codec.Json;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An agent that goes down (closed: it records nothing more, as a killed one would) while its tasks run on, and a new
 * agent started on the same work dir: it finds the tasks again and reports how they ended, with their own exit codes.
 */
class AgentRestartTest {
    private static final FrameworkInfo FW = FrameworkInfo.named("test", "*").withId("fw1");
    private static final Resources SMALL = Resources.parse("cpus:1;mem:512;disk:1000");

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

    private Agent startAndSubscribe() {
        Agent agent = Agent.start(AgentConfig.defaults(master.address(), workDir).withPort(0).withResources(SMALL)
                .withStatusRetry(Duration.ofMillis(300)));
        agents.add(agent);
        await().until(agent::isSubscribed);
        return agent;
    }

    /** The agent goes down; its tasks run on. */
    private void stop(Agent agent) {
        agent.close();
        agents.remove(agent);
    }

    private void run(String taskId, CommandInfo command) {
        master.send(new AgentEvent.RunTask("fw1", FW, TaskInfo.of(taskId, Resources.cpusMem(0.1, 32), command)));
    }

    /** A task that ends with {@code code} once the test creates the file {@code go} in its sandbox. */
    private static CommandInfo exitOnGo(int code) {
        return CommandInfo.shell("while [ ! -f go ]; do sleep 0.05; done; exit " + code);
    }

    private void go(String taskId) throws IOException {
        Files.writeString(workDir.resolve("sandboxes/fw1").resolve(taskId).resolve("go"), "");
    }

    private List<TaskState> states(String taskId) {
        return master.updatesOf(taskId).stream().map(TaskStatus::state).distinct().toList();
    }

    private TaskStatus terminal(String taskId) {
        await().atMost(Duration.ofSeconds(15)).until(() -> master.updatesOf(taskId).stream()
                .anyMatch(s -> s.state().isTerminal()));
        return master.updatesOf(taskId).stream().filter(s -> s.state().isTerminal()).findFirst().orElseThrow();
    }

    private static long pidOf(Agent agent, String taskId) {
        return agent.state().tasks().stream().filter(t -> t.taskId().equals(taskId)).map(TaskView::pid)
                .findFirst().orElseThrow();
    }

    private static boolean gone(long pid) {
        return ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true);
    }

    @Test
    void recoveredRunningTaskKeepsItsPidAndLaterReportsItsRealExitCode() throws Exception {
        Agent first = startAndSubscribe();
        run("long", exitOnGo(7));
        await().until(() -> states("long").contains(TaskState.RUNNING));
        long pid = pidOf(first, "long");
        stop(first);

        Agent second = startAndSubscribe();

        TaskView view = second.state().tasks().stream().filter(t -> t.taskId().equals("long")).findFirst().orElseThrow();
        assertThat(view.pid()).isEqualTo(pid);
        assertThat(view.state()).isEqualTo(TaskState.RUNNING);
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);
        AgentCall.Subscribe resubscription = master.subscriptions.get(master.subscriptions.size() - 1);
        assertThat(resubscription.tasks()).singleElement()
                .satisfies(r -> assertThat(r.state()).isEqualTo(TaskState.RUNNING));

        go("long");

        TaskStatus end = terminal("long");
        assertThat(end.state()).isEqualTo(TaskState.FAILED);
        assertThat(end.exitCode()).isEqualTo(7);
        assertThat(end.reason()).isEqualTo("exited with status 7");
        assertThat(states("long")).containsExactly(TaskState.STARTING, TaskState.RUNNING, TaskState.FAILED);
        assertThat(master.updatesOf("long")).filteredOn(s -> s.state() == TaskState.STARTING)
                .extracting(TaskStatus::uuid).as("launched once").containsOnly(master.updatesOf("long").get(0).uuid());
    }

    @Test
    void tasksThatEndedWhileTheAgentWasDownAreReportedWithTheirRealExitCodes() throws Exception {
        Agent first = startAndSubscribe();
        run("fails", exitOnGo(3));
        run("succeeds", exitOnGo(0));
        run("argv", CommandInfo.argv(List.of("/bin/sh", "-c", "while [ ! -f go ]; do sleep 0.05; done; exit 42")));
        List<String> ids = List.of("fails", "succeeds", "argv");
        await().until(() -> ids.stream().allMatch(id -> states(id).contains(TaskState.RUNNING)));
        List<Long> pids = ids.stream().map(id -> pidOf(first, id)).toList();
        stop(first);

        for (String id : ids) {
            go(id);
        }
        await().until(() -> pids.stream().allMatch(AgentRestartTest::gone));
        assertThat(ids).allSatisfy(id -> assertThat(states(id)).doesNotContain(TaskState.FAILED, TaskState.FINISHED));

        startAndSubscribe();

        TaskStatus fails = terminal("fails");
        assertThat(fails.state()).isEqualTo(TaskState.FAILED);
        assertThat(fails.exitCode()).isEqualTo(3);
        assertThat(fails.reason()).isEqualTo("exited with status 3");
        assertThat(fails.message()).isEqualTo("ended while the agent was down");
        TaskStatus succeeds = terminal("succeeds");
        assertThat(succeeds.state()).isEqualTo(TaskState.FINISHED);
        assertThat(succeeds.exitCode()).isZero();
        TaskStatus argv = terminal("argv");
        assertThat(argv.state()).isEqualTo(TaskState.FAILED);
        assertThat(argv.exitCode()).isEqualTo(42);
    }

    @Test
    void taskWhoseWholeGroupWasKilledWithSigkillHasAnUnknownExitStatus() throws Exception {
        Agent first = startAndSubscribe();
        run("while-down", CommandInfo.shell("sleep 1000"));
        run("after-restart", CommandInfo.shell("sleep 1000"));
        await().until(() -> states("while-down").contains(TaskState.RUNNING)
                && states("after-restart").contains(TaskState.RUNNING));
        long downPid = pidOf(first, "while-down");
        long laterPid = pidOf(first, "after-restart");
        stop(first);
        killGroup(downPid);
        await().until(() -> gone(downPid));

        startAndSubscribe();

        TaskStatus down = terminal("while-down");
        assertThat(down.state()).isEqualTo(TaskState.FAILED);
        assertThat(down.exitCode()).isNull();
        assertThat(down.reason())
                .isEqualTo("exit status unknown: the task ended while the agent was down and recorded none");
        assertThat(down.message()).contains("SIGKILL");

        assertThat(states("after-restart")).doesNotContain(TaskState.FAILED);
        killGroup(laterPid);
        TaskStatus later = terminal("after-restart");
        assertThat(later.state()).isEqualTo(TaskState.FAILED);
        assertThat(later.exitCode()).isNull();
        assertThat(later.reason())
                .isEqualTo("exit status unknown: the task ended after an agent restart and recorded none");
    }

    @Test
    void updateJournaledButNotAcknowledgedBeforeTheAgentWentDownReachesTheMasterAfterTheRestart() throws Exception {
        Agent first = startAndSubscribe();
        // RUNNING is never acknowledged, so FAILED, journaled when the task ends, waits behind it and is never sent.
        master.autoAck = s -> s.state() == TaskState.STARTING;
        run("t", exitOnGo(5));
        await().until(() -> states("t").contains(TaskState.RUNNING));
        go("t");
        await().until(() -> first.state().tasks().stream()
                .anyMatch(v -> v.taskId().equals("t") && v.state() == TaskState.FAILED));
        String journaled = journaledUuid("t", TaskState.FAILED);
        String unackedRunning = journaledUuid("t", TaskState.RUNNING);
        stop(first);
        assertThat(states("t")).doesNotContain(TaskState.FAILED);
        int before = master.updates().size();

        master.autoAck = s -> true;
        startAndSubscribe();

        TaskStatus end = terminal("t");
        assertThat(end.uuid()).as("the very update journaled before the agent went down").isEqualTo(journaled);
        assertThat(end.exitCode()).isEqualTo(5);
        assertThat(master.updates().get(before).uuid()).isEqualTo(unackedRunning);
    }

    private String journaledUuid(String taskId, TaskState state) throws IOException {
        Path log = workDir.resolve("meta/frameworks/fw1/tasks").resolve(taskId).resolve("updates.log");
        for (String line : Files.readAllLines(log)) {
            Map<?, ?> record = Json.mapper().readValue(line, Map.class);
            if (record.get("update") instanceof Map<?, ?> update && state.name().equals(update.get("state"))) {
                return (String) update.get("uuid");
            }
        }
        throw new AssertionError("no " + state + " update of " + taskId + " in " + log);
    }

    private static void killGroup(long pgid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-KILL", "--", "-" + pgid).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
    }
}
