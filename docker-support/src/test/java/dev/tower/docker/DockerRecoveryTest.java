package dev.tower.docker;

import dev.tower.agent.containerizer.Container;
import dev.tower.agent.containerizer.ContainerExit;
import dev.tower.agent.containerizer.LaunchSpec;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An agent restart: the containerizer closed (its containers run on), a new one on the same checkpoint directories.
 * Skipped, saying why, where no engine answers.
 */
class DockerRecoveryTest {
    private static final int LINES = 100;

    @TempDir
    Path dir;
    private final String agent = "agent-" + Long.toHexString(System.nanoTime());
    private String fw;
    private DockerEngine engine;
    private ScheduledExecutorService timer;
    private DockerContainerizer before;
    private DockerContainerizer after;

    @BeforeEach
    void setUp() {
        // Per test rather than per class, so that each test is reported skipped, with the reason.
        TestEngine.assumeEngine();
        fw = TestEngine.frameworkId();
        engine = TestEngine.engine();
        timer = TestEngine.timer();
        before = TestEngine.containerizer(TestEngine.settings(List.of(), false), timer, agent, dir);
    }

    @AfterEach
    void tearDown() {
        if (before != null) {
            before.close();
        }
        if (after != null) {
            after.close();
        }
        if (engine != null) {
            int left = TestEngine.removeContainersOf(engine, fw);
            engine.close();
            assertThat(left).as("containers the test left behind").isZero();
        }
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private static String numbered(String prefix, int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> prefix + i + "\n").collect(Collectors.joining());
    }

    @Test
    void aRestartedAgentFollowsARunningContainerAndReportsOneThatEndedMeanwhile() throws Exception {
        LaunchSpec running = TestEngine.spec(dir, fw, agent, TestEngine.task("running",
                "i=1; while [ $i -le " + LINES + " ]; do echo out-$i; echo err-$i >&2; i=$((i+1)); sleep 0.1; done",
                Resources.cpusMem(0.2, 32)));
        LaunchSpec ending = TestEngine.spec(dir, fw, agent, TestEngine.task("ending",
                "echo e-out-1; echo e-err-1 >&2; sleep 1; echo e-out-2; echo e-err-2 >&2; exit 7",
                Resources.cpusMem(0.2, 32)));
        Container r = before.launch(running);
        Container e = before.launch(ending);
        String endingId = ((DockerContainer) e).id();
        await().atMost(Duration.ofSeconds(20))
                .until(() -> TestEngine.read(running.sandbox().resolve("stdout")).lines().count() >= 5);

        before.close();
        before = null;
        // While the agent is down, one container ends and the other goes on writing.
        await().atMost(Duration.ofSeconds(20)).until(() -> !Boolean.TRUE.equals(
                engine.client().inspectContainerCmd(endingId).exec().getState().getRunning()));
        assertThat(e.exit()).as("the old containerizer no longer reports").isNotDone();

        after = TestEngine.containerizer(TestEngine.settings(List.of(), false), timer, agent, dir);
        Optional<Container> endedMeanwhile = after.recover(ending.task(), ending.checkpointDir(), e.pid(),
                e.startedAt().orElse(null));
        Optional<Container> stillRunning = after.recover(running.task(), running.checkpointDir(), r.pid(),
                r.startedAt().orElse(null));

        assertThat(endedMeanwhile).isPresent();
        assertThat(endedMeanwhile.get().exit()).isCompletedWithValue(new ContainerExit(7, null));
        assertThat(TestEngine.exists(engine, endingId)).as("removed once reported").isFalse();
        assertThat(Files.readString(ending.sandbox().resolve("stdout"))).isEqualTo("e-out-1\ne-out-2\n");
        assertThat(Files.readString(ending.sandbox().resolve("stderr"))).isEqualTo("e-err-1\ne-err-2\n");

        assertThat(stillRunning).isPresent();
        Container again = stillRunning.get();
        assertThat(again.exit()).as("reattached while it runs").isNotDone();
        assertThat(again.pid()).isEqualTo(r.pid());
        assertThat(again.startedAt()).isEqualTo(r.startedAt());
        assertThat(again.exit().get(60, TimeUnit.SECONDS)).isEqualTo(new ContainerExit(0, null));
        assertThat(Files.readString(running.sandbox().resolve("stdout"))).isEqualTo(numbered("out-", LINES));
        assertThat(Files.readString(running.sandbox().resolve("stderr"))).isEqualTo(numbered("err-", LINES));
        assertThat(TestEngine.exists(engine, ((DockerContainer) again).id())).as("removed once ended").isFalse();
    }

    @Test
    void aContainerRemovedAfterItsExitWasRecordedIsReportedWithThatExit() throws Exception {
        LaunchSpec spec = TestEngine.spec(dir, fw, agent, TestEngine.task("recorded", "echo bye; exit 4",
                Resources.cpusMem(0.2, 32)));
        Container c = before.launch(spec);
        assertThat(c.exit().get(60, TimeUnit.SECONDS)).isEqualTo(new ContainerExit(4, null));
        assertThat(TestEngine.exists(engine, ((DockerContainer) c).id())).isFalse();
        before.close();
        before = null;

        after = TestEngine.containerizer(TestEngine.settings(List.of(), false), timer, agent, dir);
        Optional<Container> found = after.recover(spec.task(), spec.checkpointDir(), c.pid(), c.startedAt().orElse(null));

        assertThat(found).isPresent();
        assertThat(found.get().exit()).isCompletedWithValue(new ContainerExit(4, null));
        assertThat(Files.readString(spec.sandbox().resolve("stdout"))).isEqualTo("bye\n");
    }

    @Test
    void aContainerThatIsGoneWithoutARecordIsNotFound() throws Exception {
        TaskInfo task = TestEngine.task("vanished", "true", Resources.EMPTY);
        Path checkpoint = Files.createDirectories(dir.resolve("meta/vanished"));
        new CheckpointFiles.ContainerRecord("0123456789ab" + "0".repeat(52), fw, "vanished",
                dir.resolve("sandboxes/vanished")).write(checkpoint);

        assertThat(before.recover(task, checkpoint, 4242, null)).isEmpty();
        assertThat(before.recover(task, dir.resolve("meta/never-launched"), 4242, null)).isEmpty();
        assertThat(before.recover(TaskInfo.of("process", Resources.EMPTY, null), checkpoint, 4242, null))
                .as("not a Docker task").isEmpty();
    }
}
