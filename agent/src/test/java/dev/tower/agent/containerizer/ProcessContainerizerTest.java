package dev.tower.agent.containerizer;

import dev.tower.agent.isolation.Isolator;
import dev.tower.agent.isolation.TaskIsolation;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** What a process task's exit status is, as the agent sees it and as the task records it for a later agent. */
class ProcessContainerizerTest {
    @TempDir
    Path dir;
    Path sandbox;
    Path checkpoint;
    final ScheduledExecutorService timer = Executors.newScheduledThreadPool(1);
    ProcessContainerizer containerizer;

    @BeforeEach
    void setUp() throws IOException {
        sandbox = Files.createDirectories(dir.resolve("sandbox"));
        checkpoint = Files.createDirectories(dir.resolve("meta 'quoted'"));
        containerizer = new ProcessContainerizer(timer, Map.of("PATH", System.getenv("PATH")), Isolator.NONE);
    }

    @AfterEach
    void tearDown() {
        timer.shutdownNow();
    }

    private Container launch(CommandInfo cmd) throws LaunchException {
        TaskInfo task = TaskInfo.of("t", Resources.EMPTY, cmd);
        return containerizer.launch(new LaunchSpec("fw", "agent", "127.0.0.1", task, sandbox, checkpoint));
    }

    private Integer exitOf(Container c) throws Exception {
        return c.exit().get(10, TimeUnit.SECONDS).exitCode();
    }

    private String recorded() throws IOException {
        return Files.readString(checkpoint.resolve(ExitStatusFile.NAME));
    }

    @Test
    void anAgentThatIsNotRootCannotRunATaskAsAnotherUser() {
        ProcessContainerizer notRoot = new ProcessContainerizer(timer, Map.of("PATH", System.getenv("PATH")),
                Isolator.NONE, null, 54321);
        TaskInfo task = TaskInfo.of("t", Resources.EMPTY, new CommandInfo(true, "true", List.of(), Map.of(), List.of(),
                null, "root"));

        assertThatThrownBy(() -> notRoot.launch(new LaunchSpec("fw", "agent", "127.0.0.1", task, sandbox, checkpoint)))
                .isInstanceOf(LaunchException.class)
                .hasMessageContaining("cannot run the task as user 'root'")
                .hasMessageContaining("only a root agent can run tasks as other users");
        assertThat(sandbox.resolve("stdout")).doesNotExist();
    }

    @Test
    void exitStatusIsTheTasksAndIsRecorded() throws Exception {
        assertThat(exitOf(launch(CommandInfo.shell("echo out; exit 3")))).isEqualTo(3);
        assertThat(recorded()).isEqualTo("3\n");
        assertThat(Files.readString(sandbox.resolve("stdout"))).isEqualTo("out\n");

        assertThat(exitOf(launch(CommandInfo.shell("true")))).isZero();
        assertThat(recorded()).isEqualTo("0\n");
    }

    @Test
    void deathBySignalIs128PlusTheSignal() throws Exception {
        // The task's shell dies of SIGTERM; the recording shell survives it and records what it saw.
        assertThat(exitOf(launch(CommandInfo.shell("kill -TERM 0; sleep 5")))).isEqualTo(128 + 15);
        assertThat(recorded()).isEqualTo("143\n");
    }

    @Test
    void execAndTheTasksOwnExitTrapsWorkAsInAPlainShell() throws Exception {
        assertThat(exitOf(launch(CommandInfo.shell("trap 'echo bye' EXIT; exec /bin/sh -c 'exit 6'")))).isEqualTo(6);
        assertThat(recorded()).isEqualTo("6\n");
        assertThat(exitOf(launch(CommandInfo.shell("trap 'echo trapped' EXIT; exit 4")))).isEqualTo(4);
        assertThat(Files.readString(sandbox.resolve("stdout"))).isEqualTo("trapped\n");
        assertThat(exitOf(launch(CommandInfo.shell("echo \"$0 $#\" # a trailing comment")))).isZero();
        assertThat(Files.readString(sandbox.resolve("stdout"))).endsWith("/bin/sh 0\n");
    }

    @Test
    void argvCommandIsExecutedWithItsArgumentsUntouchedAndRecorded() throws Exception {
        Container c = launch(CommandInfo.argv(List.of("sh", "-c", "printf '%s|' \"$@\"; exit 5", "x", "a  b", "$HOME", "'")));
        assertThat(exitOf(c)).isEqualTo(5);
        assertThat(recorded()).isEqualTo("5\n");
        assertThat(Files.readString(sandbox.resolve("stdout"))).isEqualTo("a  b|$HOME|'|");

        // Looked up on PATH as a program, never as a shell builtin: coreutils' printf knows %q, dash's does not.
        assertThat(exitOf(launch(CommandInfo.argv(List.of("printf", "%q", "a b"))))).isZero();
        assertThat(Files.readString(sandbox.resolve("stdout"))).endsWith("'a b'");

        assertThat(exitOf(launch(CommandInfo.argv(List.of("no-such-program-here"))))).isEqualTo(127);
    }

    @Test
    void taskHandlingSigtermGetsItsGracePeriodAndItsOwnExitStatus() throws Exception {
        Container c = launch(CommandInfo.argv(List.of("sh", "-c",
                "trap 'sleep 0.3; echo graceful; exit 0' TERM; echo ready; sleep 30 & wait")));
        await().until(() -> Files.readString(sandbox.resolve("stdout")).contains("ready"));

        c.kill(Duration.ofSeconds(5));

        assertThat(exitOf(c)).isZero();
        assertThat(Files.readString(sandbox.resolve("stdout"))).contains("graceful");
        assertThat(recorded()).isEqualTo("0\n");
    }

    @Test
    void killedGroupThatOutlivesItsGracePeriodEndsWith137AndRecordsNothing() throws Exception {
        Container c = launch(CommandInfo.shell("trap '' TERM; sleep 30"));
        await().until(() -> ProcessHandle.of(c.pid()).map(h -> h.children().findAny().isPresent()).orElse(false));
        c.kill(Duration.ofMillis(200));
        assertThat(exitOf(c)).isEqualTo(128 + 9);
        assertThat(checkpoint.resolve(ExitStatusFile.NAME)).doesNotExist();
    }

    @Test
    void recoveredTaskThatAlreadyEndedHasTheStatusItRecorded() throws Exception {
        Container first = launch(CommandInfo.shell("exit 9"));
        Instant started = first.startedAt().orElseThrow();
        exitOf(first);

        Container again = containerizer.recover("fw", TaskInfo.of("t", Resources.EMPTY, CommandInfo.shell("exit 9")),
                checkpoint, first.pid(), started).orElseThrow();

        assertThat(again.exit()).isDone();
        assertThat(exitOf(again)).isEqualTo(9);
    }

    @Test
    void recoveredRunningTaskIsWatchedToItsEnd() throws Exception {
        Path go = sandbox.resolve("go");
        CommandInfo cmd = CommandInfo.shell("while [ ! -f go ]; do sleep 0.05; done; exit 12");
        Container first = launch(cmd);

        Container again = containerizer.recover("fw", TaskInfo.of("t", Resources.EMPTY, cmd), checkpoint, first.pid(),
                first.startedAt().orElseThrow()).orElseThrow();
        assertThat(again.pid()).isEqualTo(first.pid());
        assertThat(again.exit()).isNotDone();

        Files.writeString(go, "");
        assertThat(exitOf(again)).isEqualTo(12);
    }

    @Test
    void recoveredTaskWithoutARecordHasAnUnknownStatus() throws Exception {
        Container first = launch(CommandInfo.shell("sleep 30"));
        Instant started = first.startedAt().orElseThrow();
        ProcessHandle.of(first.pid()).orElseThrow().descendants().forEach(ProcessHandle::destroyForcibly);
        ProcessHandle.of(first.pid()).orElseThrow().destroyForcibly();
        exitOf(first);

        Container again = containerizer.recover("fw", TaskInfo.of("t", Resources.EMPTY, CommandInfo.shell("sleep 30")),
                checkpoint, first.pid(), started).orElseThrow();

        assertThat(exitOf(again)).isNull();
    }

    @Test
    void aPidNowNamingAnotherProcessIsNotTheTask() throws Exception {
        // This JVM is alive but started long before: the same pid with another start time is someone else.
        long pid = ProcessHandle.current().pid();
        Container found = containerizer.recover("fw", TaskInfo.of("t", Resources.EMPTY, CommandInfo.shell("true")),
                checkpoint, pid, Instant.parse("2001-01-01T00:00:00Z")).orElseThrow();
        assertThat(found.exit()).isDone();
        assertThat(exitOf(found)).isNull();
        assertThat(ProcessHandle.current().isAlive()).isTrue();
    }

    @Test
    void aTaskWhoseShellCannotJoinItsCgroupDoesNotRunAndSaysWhy() throws Exception {
        Path missing = dir.resolve("no-such-cgroup/cgroup.procs");
        ProcessContainerizer isolated = new ProcessContainerizer(timer, Map.of("PATH", System.getenv("PATH")),
                new Isolator() {
                    @Override
                    public String description() {
                        return "a cgroup that is not there";
                    }

                    @Override
                    public TaskIsolation isolate(String name, Resources resources) {
                        return new TaskIsolation() {
                            @Override
                            public List<Path> joinFiles() {
                                return List.of(missing);
                            }
                        };
                    }

                    @Override
                    public Optional<TaskIsolation> reattach(String name, Resources resources) {
                        return Optional.empty();
                    }
                });
        TaskInfo task = TaskInfo.of("t", Resources.EMPTY, CommandInfo.shell("echo ran"));
        Container c = isolated.launch(new LaunchSpec("fw", "agent", "127.0.0.1", task, sandbox, checkpoint));

        assertThat(exitOf(c)).isEqualTo(TaskCommand.CANNOT_JOIN);
        assertThat(recorded()).isEqualTo("125\n");
        assertThat(Files.readString(sandbox.resolve("stdout"))).isEmpty();
        assertThat(Files.readString(sandbox.resolve("stderr"))).contains("tower: cannot put the task in its cgroup");
    }
}
