package dev.tower.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.client.Scheduler;
import dev.tower.api.client.SchedulerClient;
import dev.tower.api.client.SchedulerDriver;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Offer;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.operator.AgentView;
import dev.tower.api.operator.TaskView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An agent JVM killed with SIGKILL and started again on the same work dir: its tasks run on through the restart; the
 * new agent reattaches to the one still running (same pid), reports the one that ended while it was down with that
 * task's own exit code, and delivers the update the dead agent had journaled but not yet had acknowledged.
 */
@ExtendWith(LogsOnFailure.class)
class AgentRecoveryTest {
    private Cluster cluster;
    private SchedulerClient client;
    /** Where the test creates the files that let its tasks end. */
    private Path control;
    /** Every task's process group: tasks outlive the agent that started them, so the test ends them itself. */
    private final List<Long> taskGroups = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        // The master waits two minutes for an unreachable agent before it gives its tasks up as LOST.
        cluster = Cluster.start("recovery", 1, "120s");
        control = Files.createTempDirectory("tower-it-recovery-");
    }

    @AfterEach
    void stop() throws Exception {
        for (long pgid : taskGroups) {
            killGroup(pgid);
        }
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        try (var files = Files.list(control)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(control);
        for (long pgid : taskGroups) {
            await("process group " + pgid + " gone").atMost(Duration.ofSeconds(10)).until(() -> groupIsEmpty(pgid));
        }
    }

    @Test
    void restartedAgentReattachesToRunningTasksAndReportsEndedOnesWithTheirExitCodes() throws Exception {
        AgentView agent = cluster.agents().get(0);
        RecordingScheduler recorder = new RecordingScheduler();
        // Task 'early' ends while the agent runs, but its RUNNING update goes unacknowledged until the agent is back:
        // the agent sends one update per task at a time, so its FAILED stays journaled and unsent when it dies.
        AtomicBoolean withholdEarly = new AtomicBoolean(true);
        Scheduler framework = new Scheduler() {
            @Override
            public void offers(SchedulerDriver driver, List<Offer> offers) {
                recorder.offers(driver, offers);
            }

            @Override
            public void update(SchedulerDriver driver, TaskStatus status) {
                recorder.update(driver, status);
                boolean withheld = withholdEarly.get() && status.taskId().equals("early")
                        && status.state() != TaskState.STARTING;
                if (status.needsAck() && !withheld) {
                    driver.acknowledge(status);
                }
            }
        };
        List<String> ids = List.of("sleeper", "exits-3", "early");
        recorder.submit(List.of(
                task("sleeper", "sleep 600"),
                task("exits-3", waitFor("go-3") + "exit 3"),
                task("early", waitFor("go-4") + "exit 4")));
        client = SchedulerClient.builder(cluster.master(), FrameworkInfo.named("recovery", "*"), framework)
                .autoAcknowledge(false).build().start();
        assertThat(client.awaitSubscribed(Duration.ofSeconds(20))).isTrue();

        await("all tasks RUNNING").atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(ids)
                .allSatisfy(id -> assertThat(recorder.state(id)).isEqualTo(TaskState.RUNNING)));
        Map<String, Long> pids = new HashMap<>();
        for (String id : ids) {
            pids.put(id, agentTask(agent, id).get("pid").asLong());
            taskGroups.add(pids.get(id));
        }
        long sleeper = pids.get("sleeper");

        Files.writeString(control.resolve("go-4"), "");
        await("'early' FAILED at the agent").atMost(Duration.ofSeconds(10))
                .until(() -> agentTask(agent, "early").get("state").asText().equals("FAILED"));
        assertThat(recorder.statesOf("early")).doesNotContain(TaskState.FAILED);

        TowerProcess victim = cluster.process("agent1");
        cluster.killForcibly(victim);

        // Nothing took the tasks down with the agent.
        assertThat(running(sleeper)).as("sleeper after the agent's death").isTrue();
        assertThat(running(pids.get("exits-3"))).as("exits-3 after the agent's death").isTrue();
        await("tasks UNREACHABLE").atMost(Duration.ofSeconds(30))
                .until(() -> recorder.statesOf("sleeper").contains(TaskState.UNREACHABLE));
        Files.writeString(control.resolve("go-3"), "");
        await("exits-3 ended while the agent is down").atMost(Duration.ofSeconds(10))
                .until(() -> !running(pids.get("exits-3")));

        withholdEarly.set(false);
        cluster.restartAgent(victim);

        TaskStatus exits3 = awaitTerminal(recorder, "exits-3");
        assertThat(exits3.state()).isEqualTo(TaskState.FAILED);
        assertThat(exits3.exitCode()).isEqualTo(3);
        assertThat(exits3.reason()).isEqualTo("exited with status 3");
        assertThat(exits3.message()).isEqualTo("ended while the agent was down");

        TaskStatus early = awaitTerminal(recorder, "early");
        assertThat(early.state()).isEqualTo(TaskState.FAILED);
        assertThat(early.exitCode()).isEqualTo(4);
        // Recorded by the agent that saw the task end, not found out afresh by the restarted one.
        assertThat(early.message()).isNull();

        await("sleeper RUNNING again").atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            List<TaskState> states = recorder.statesOf("sleeper");
            assertThat(states.get(states.size() - 1)).isEqualTo(TaskState.RUNNING);
            assertThat(states.lastIndexOf(TaskState.RUNNING)).isGreaterThan(states.indexOf(TaskState.UNREACHABLE));
        });
        JsonNode sleeperAtAgent = agentTask(agent, "sleeper");
        assertThat(sleeperAtAgent.get("state").asText()).isEqualTo("RUNNING");
        assertThat(sleeperAtAgent.get("pid").asLong()).isEqualTo(sleeper);
        assertThat(running(sleeper)).isTrue();
        assertThat(cluster.tasks()).filteredOn(t -> t.taskId().equals("sleeper")).singleElement()
                .satisfies(t -> assertThat(t.state()).isEqualTo(TaskState.RUNNING));

        // No task was launched twice: one STARTING each, one record each at the master, one sleep under the sleeper.
        for (String id : ids) {
            assertThat(recorder.updates().stream().filter(u -> u.taskId().equals(id) && u.state() == TaskState.STARTING)
                    .map(TaskStatus::uuid).distinct()).as("STARTING updates of %s", id).hasSize(1);
        }
        assertThat(cluster.tasks()).extracting(TaskView::taskId).filteredOn(ids::contains)
                .containsExactlyInAnyOrderElementsOf(ids);
        assertThat(ProcessHandle.of(sleeper).orElseThrow().children().toList()).singleElement()
                .satisfies(p -> assertThat(p.info().command().orElse("")).endsWith("sleep"));

        // The reattached task is the agent's again: a kill reaches it and it ends KILLED, with its real status.
        client.kill("sleeper", agent.id()).get(10, TimeUnit.SECONDS);
        TaskStatus killed = awaitTerminal(recorder, "sleeper");
        assertThat(killed.state()).isEqualTo(TaskState.KILLED);
        assertThat(killed.exitCode()).isEqualTo(128 + 15);
        await("sleeper's process group gone").atMost(Duration.ofSeconds(10)).until(() -> groupIsEmpty(sleeper));
    }

    private static TaskInfo task(String id, String command) {
        return TaskInfo.of(id, Resources.cpusMem(0.1, 16), CommandInfo.shell(command));
    }

    private String waitFor(String file) {
        return "while [ ! -f '" + control.resolve(file) + "' ]; do sleep 0.1; done; ";
    }

    /**
     * The task's terminal update. Not necessarily the latest received: the master resends every update not yet
     * acknowledged, oldest first, so one withheld earlier may arrive again after it.
     */
    private static TaskStatus awaitTerminal(RecordingScheduler recorder, String id) {
        await(id + " terminal").atMost(Duration.ofSeconds(30)).until(() -> terminal(recorder, id) != null);
        return terminal(recorder, id);
    }

    private static TaskStatus terminal(RecordingScheduler recorder, String id) {
        return recorder.updates().stream().filter(u -> u.taskId().equals(id) && u.state().isTerminal())
                .findFirst().orElse(null);
    }

    /** The task as the agent's {@code /api/v1/state} shows it (with its pid). */
    private JsonNode agentTask(AgentView agent, String taskId) {
        URI uri = URI.create("http://" + agent.hostname() + ":" + agent.port() + "/api/v1/state");
        String body = cluster.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build()).body();
        for (JsonNode t : Cluster.readTree(body).get("tasks")) {
            if (t.get("taskId").asText().equals(taskId)) {
                return t;
            }
        }
        throw new AssertionError("the agent does not list " + taskId + ": " + body);
    }

    /** Whether the process runs: a zombie (ended, not yet reaped by init) does not. */
    private static boolean running(long pid) throws IOException {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.substring(stat.lastIndexOf(')') + 2).charAt(0);
            return state != 'Z' && state != 'X';
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    private static boolean groupIsEmpty(long pgid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-0", "--", "-" + pgid)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return kill.waitFor() != 0;
    }

    private static void killGroup(long pgid) throws Exception {
        new ProcessBuilder("kill", "-KILL", "--", "-" + pgid)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    }
}
