package dev.tower.agent.task;

import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.CommandInfo.FetchUri;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Range;
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
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class TaskLifecycleTest {
    private static final FrameworkInfo FW = FrameworkInfo.named("test", "*").withId("fw1");

    @TempDir
    Path workDir;
    SupervisorHarness h;

    @BeforeEach
    void setUp() {
        h = new SupervisorHarness(workDir);
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    private TaskStatus runToEnd(TaskInfo task) {
        h.supervisor.run("fw1", FW, task);
        await().atMost(Duration.ofSeconds(10)).until(() -> h.ended(task.taskId()));
        return h.last(task.taskId());
    }

    private String stdout(String taskId) throws IOException {
        return Files.readString(h.sandboxes.pathOf("fw1", taskId).resolve("stdout"));
    }

    @Test
    void nonZeroExitIsFailedWithTheExitCodeAndOutputInTheSandbox() throws IOException {
        TaskStatus end = runToEnd(TaskInfo.of("t1", Resources.EMPTY, CommandInfo.shell("echo hello; exit 3")));

        assertThat(h.states("t1")).containsExactly(TaskState.STARTING, TaskState.RUNNING, TaskState.FAILED);
        assertThat(end.exitCode()).isEqualTo(3);
        assertThat(end.reason()).isEqualTo("exited with status 3");
        assertThat(end.source()).isEqualTo(TaskStatus.Source.AGENT);
        assertThat(end.agentId()).isEqualTo("agent-1");
        assertThat(end.frameworkId()).isEqualTo("fw1");
        assertThat(h.of("t1")).extracting(TaskStatus::uuid).doesNotHaveDuplicates().doesNotContainNull();
        assertThat(stdout("t1")).isEqualTo("hello\n");
    }

    @Test
    void zeroExitIsFinished() {
        TaskStatus end = runToEnd(TaskInfo.of("t2", Resources.EMPTY, CommandInfo.shell("exit 0")));
        assertThat(end.state()).isEqualTo(TaskState.FINISHED);
        assertThat(end.exitCode()).isZero();
    }

    @Test
    void argvCommandRunsWithoutAShell() throws IOException {
        TaskStatus end = runToEnd(TaskInfo.of("t3", Resources.EMPTY,
                CommandInfo.argv(List.of("/bin/echo", "a  b", "$HOME"))));
        assertThat(end.state()).isEqualTo(TaskState.FINISHED);
        assertThat(stdout("t3")).isEqualTo("a  b $HOME\n");
    }

    @Test
    void environmentNamesTheTaskAndItsPorts() throws IOException {
        Resources res = Resources.cpusMem(0.5, 64).plus(Resources.ranges(Resources.PORTS, List.of(new Range(31000, 31001))));
        CommandInfo cmd = CommandInfo.shell("echo $TOWER_TASK_ID $TOWER_FRAMEWORK_ID $PORT0 $PORT1 $PORTS $TOWER_CPUS $TOWER_MEM $GREETING")
                .withEnvironment(Map.of("GREETING", "hi"));
        runToEnd(TaskInfo.of("t4", res, cmd));
        assertThat(stdout("t4")).isEqualTo("t4 fw1 31000 31001 31000,31001 0.5 64 hi\n");
    }

    @Test
    void taskIgnoringSigtermIsKilledAfterItsGracePeriod() {
        TaskInfo task = new TaskInfo("t5", "t5", null, Resources.EMPTY,
                CommandInfo.shell("trap '' TERM; sleep 1000"), 0.5, Map.of());
        h.supervisor.run("fw1", FW, task);
        await().until(() -> h.states("t5").contains(TaskState.RUNNING));

        long start = System.nanoTime();
        h.supervisor.kill("fw1", "t5", null);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.ended("t5"));

        TaskStatus end = h.last("t5");
        assertThat(end.state()).isEqualTo(TaskState.KILLED);
        assertThat(end.reason()).isEqualTo("killed");
        assertThat(end.exitCode()).isEqualTo(128 + 9);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(450));
    }

    @Test
    void killReachesChildrenInTheTasksProcessGroup() throws IOException {
        h.supervisor.run("fw1", FW, TaskInfo.of("t6", Resources.EMPTY,
                CommandInfo.shell("sleep 1000 & echo $! > child.pid; sleep 1000")));
        Path pidFile = h.sandboxes.pathOf("fw1", "t6").resolve("child.pid");
        await().until(() -> Files.exists(pidFile) && Files.size(pidFile) > 0);
        long child = Long.parseLong(Files.readString(pidFile).trim());
        assertThat(ProcessHandle.of(child)).isPresent();

        h.supervisor.kill("fw1", "t6", 1.0);
        await().atMost(Duration.ofSeconds(5)).until(() -> h.ended("t6"));

        assertThat(h.last("t6").state()).isEqualTo(TaskState.KILLED);
        await().atMost(Duration.ofSeconds(2)).until(() -> ProcessHandle.of(child).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void fetchFailureFailsTheTaskNamingTheUri() {
        CommandInfo cmd = new CommandInfo(true, "true", null, null,
                List.of(FetchUri.of("file:///nonexistent/tower-test.tgz")), null, null);
        TaskStatus end = runToEnd(TaskInfo.of("t7", Resources.EMPTY, cmd));
        assertThat(end.state()).isEqualTo(TaskState.FAILED);
        assertThat(end.reason()).startsWith("fetch failed: file:///nonexistent/tower-test.tgz: ");
        assertThat(h.states("t7")).doesNotContain(TaskState.RUNNING);
    }

    @Test
    void fetchedFilesAreExecutableAndArchivesExtracted() throws IOException {
        Path script = workDir.resolve("hello.sh");
        Files.writeString(script, "#!/bin/sh\necho from-script\n");
        Path zip = workDir.resolve("bundle.zip");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
            z.putNextEntry(new ZipEntry("conf/app.conf"));
            z.write("x=1\n".getBytes());
            z.closeEntry();
        }
        CommandInfo cmd = new CommandInfo(true, "./run.sh && cat conf/app.conf", null, null, List.of(
                new FetchUri(script.toUri().toString(), false, true, "run.sh"),
                new FetchUri(zip.toString(), true, false, null)), null, null);
        TaskStatus end = runToEnd(TaskInfo.of("t8", Resources.EMPTY, cmd));
        assertThat(end.state()).isEqualTo(TaskState.FINISHED);
        assertThat(stdout("t8")).isEqualTo("from-script\nx=1\n");
    }

    @Test
    void killOfAnUnknownTaskIsAnsweredWithDropped() {
        h.supervisor.kill("fw1", "ghost", null);
        await().until(() -> h.ended("ghost"));
        assertThat(h.last("ghost").state()).isEqualTo(TaskState.DROPPED);
        assertThat(h.last("ghost").reason()).isEqualTo("unknown task");
    }

    @Test
    void taskWhoseProcessIsGoneWithoutARecordAfterARestartIsFailedWithStatusUnknown() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        TaskInfo task = TaskInfo.of("t10", Resources.EMPTY, CommandInfo.shell("sleep 1000"));
        dev.tower.agent.status.TaskKey key = new dev.tower.agent.status.TaskKey("fw1", "t10");
        // What an agent that died while the task ran leaves behind: a checkpoint, RUNNING unacknowledged. The process
        // recorded no exit status (as when its whole group is killed with SIGKILL).
        h.updates.track(key, new dev.tower.agent.status.TaskCheckpoint("fw1", FW, task,
                h.sandboxes.create("fw1", "t10").toString(), gone.pid(), null));
        h.updates.close();
        h.updates.enqueue(key, new TaskStatus("t10", "fw1", "agent-1", TaskState.RUNNING, null, null, null,
                "u-running", TaskStatus.Source.AGENT, 1.0));
        h.close();

        h = new SupervisorHarness(workDir);
        h.supervisor.recover(h.updates.recover());
        h.updates.resendAll();

        await().until(() -> h.ended("t10"));
        assertThat(h.of("t10")).extracting(TaskStatus::state).containsExactly(TaskState.RUNNING, TaskState.FAILED);
        assertThat(h.of("t10").get(0).uuid()).isEqualTo("u-running");
        assertThat(h.last("t10").reason())
                .isEqualTo("exit status unknown: the task ended while the agent was down and recorded none");
        assertThat(h.last("t10").exitCode()).isNull();
    }

    @Test
    void taskCheckpointedBeforeItsProcessWasRecordedIsFailedAfterARestart() throws Exception {
        TaskInfo task = TaskInfo.of("t11", Resources.EMPTY, CommandInfo.shell("true"));
        dev.tower.agent.status.TaskKey key = new dev.tower.agent.status.TaskKey("fw1", "t11");
        h.updates.track(key, new dev.tower.agent.status.TaskCheckpoint("fw1", FW, task,
                h.sandboxes.create("fw1", "t11").toString(), null, null));
        h.close();

        h = new SupervisorHarness(workDir);
        h.supervisor.recover(h.updates.recover());
        h.updates.resendAll();

        await().until(() -> h.ended("t11"));
        assertThat(h.last("t11").state()).isEqualTo(TaskState.FAILED);
        assertThat(h.last("t11").reason()).isEqualTo("agent restarted while the task was being launched");
    }

    @Test
    void acknowledgedTerminalTaskIsForgotten() {
        runToEnd(TaskInfo.of("t9", Resources.EMPTY, CommandInfo.shell("true")));
        await().until(() -> h.supervisor.views().isEmpty());
        assertThat(workDir.resolve("meta/frameworks/fw1/tasks/t9")).doesNotExist();
        assertThat(h.sandboxes.pathOf("fw1", "t9")).exists();
    }
}
