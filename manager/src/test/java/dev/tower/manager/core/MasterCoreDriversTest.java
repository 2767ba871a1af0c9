package dev.tower.manager.core;

import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.operator.SubmissionView;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The core's book of cluster-mode drivers: claims, status mapping, supervised relaunch with backoff, kill, recovery. */
class MasterCoreDriversTest {
    private static final String FW = "tower-spark-dispatcher";
    private final MasterConfig config = MasterConfig.defaults()
            .withDrivers(new DriverPolicy(2, Duration.ofSeconds(1), Duration.ofSeconds(3)));
    private final CoreHarness h = new CoreHarness(config);

    private static DriverSpec spec(boolean supervise) {
        return new DriverSpec("file:/jobs/pi.jar", "Pi", List.of("8"),
                Map.of("spark.master", "spark://m:5050", "spark.driver.supervise", String.valueOf(supervise),
                        "spark.app.name", "pi"), Map.of(), "4.2.0");
    }

    private String submit(boolean supervise) {
        return (String) h.handle(new Command.SubmitDriver(spec(supervise))).reply().body();
    }

    private Reply claim(String id, String taskId) {
        return h.handle(new Command.ClaimDriver(id, FW, taskId, "agent-1", "host1")).reply();
    }

    private void status(String taskId, TaskState state, Integer exit) {
        h.handle(new Command.DriverTaskStatus(new TaskStatus(taskId, FW, "agent-1", state, null, null, exit, null,
                TaskStatus.Source.AGENT, h.clock.millis() / 1000.0)));
    }

    private SubmissionView view(String id) {
        @SuppressWarnings("unchecked")
        Optional<SubmissionView> v = (Optional<SubmissionView>) h.handle(
                new Command.Query(c -> c.reader().submission(id))).reply().body();
        return v.orElseThrow();
    }

    private List<RegistrySnapshot.SavedDriver> launchable() {
        return ((StateReader.DriverWork) h.handle(new Command.Query(c -> c.reader().driverWork())).reply().body())
                .launch();
    }

    @Test
    void aDriverRunsOneTaskAtATimeAndFinishes() {
        String id = submit(false);
        assertThat(view(id).driverState()).isEqualTo("SUBMITTED");
        assertThat(launchable()).extracting(RegistrySnapshot.SavedDriver::id).containsExactly(id);

        assertThat(claim(id, id + "-1").isError()).isFalse();
        assertThat(claim(id, id + "-2").status()).as("a second task while the first lives").isEqualTo(409);
        assertThat(launchable()).isEmpty();

        status(id + "-1", TaskState.RUNNING, null);
        assertThat(view(id).driverState()).isEqualTo("RUNNING");
        status(id + "-1", TaskState.FINISHED, 0);
        SubmissionView done = view(id);
        assertThat(done.driverState()).isEqualTo("FINISHED");
        assertThat(done.launches()).isEqualTo(1);
        assertThat(done.endedAt()).isNotNull();
    }

    @Test
    void anUnsupervisedDriverThatFailsIsFailed() {
        String id = submit(false);
        claim(id, id + "-1");
        status(id + "-1", TaskState.FAILED, 1);
        assertThat(view(id).driverState()).isEqualTo("FAILED");
        assertThat(view(id).message()).contains("exit code 1");
        assertThat(launchable()).isEmpty();
    }

    @Test
    void aSupervisedDriverIsRelaunchedWithBackoffUpToTheLimit() {
        String id = submit(true);
        claim(id, id + "-1");
        status(id + "-1", TaskState.FAILED, 137);
        assertThat(view(id).driverState()).isEqualTo("RELAUNCHING");
        assertThat(launchable()).as("during the first backoff (1 s)").isEmpty();
        assertThat(claim(id, id + "-2").status()).isEqualTo(409);

        h.advance(Duration.ofMillis(1000));
        assertThat(launchable()).extracting(RegistrySnapshot.SavedDriver::id).containsExactly(id);
        claim(id, id + "-2");
        status(id + "-2", TaskState.RUNNING, null);
        assertThat(view(id).driverState()).isEqualTo("RUNNING");
        status(id + "-2", TaskState.LOST, null);
        assertThat(view(id).driverState()).isEqualTo("RELAUNCHING");

        h.advance(Duration.ofMillis(1999));
        assertThat(launchable()).as("the second backoff doubles to 2 s").isEmpty();
        h.advance(Duration.ofMillis(1));
        claim(id, id + "-3");
        status(id + "-3", TaskState.FAILED, 1);
        SubmissionView failed = view(id);
        assertThat(failed.driverState()).isEqualTo("FAILED");
        assertThat(failed.launches()).isEqualTo(3);
        assertThat(failed.message()).contains("gave up after 3 launches (at most 2 relaunches)");
        assertThat(failed.taskIds()).containsExactly(id + "-1", id + "-2", id + "-3");
    }

    @Test
    void killEndsAQueuedDriverAtOnceAndARunningOneWhenItsTaskEnds() {
        String queued = submit(false);
        DriverKill k = (DriverKill) h.handle(new Command.KillDriver(queued)).reply().body();
        assertThat(k.success()).isTrue();
        assertThat(view(queued).driverState()).isEqualTo("KILLED");
        assertThat(claim(queued, queued + "-1").status()).isEqualTo(409);

        String running = submit(true);
        claim(running, running + "-1");
        status(running + "-1", TaskState.RUNNING, null);
        h.handle(new Command.KillDriver(running));
        StateReader.DriverWork work = (StateReader.DriverWork) h.handle(
                new Command.Query(c -> c.reader().driverWork())).reply().body();
        assertThat(work.kill()).containsExactly(List.of(running, running + "-1", "agent-1"));
        status(running + "-1", TaskState.KILLED, null);
        assertThat(view(running).driverState()).as("killed on request: not relaunched").isEqualTo("KILLED");

        assertThat(((DriverKill) h.handle(new Command.KillDriver(running)).reply().body()).success()).isFalse();
        assertThat(h.handle(new Command.KillDriver("driver-nope")).reply().status()).isEqualTo(404);
    }

    @Test
    void aNewLeaderKnowsEverySubmissionFromTheRegistry() {
        String done = submit(false);
        claim(done, done + "-1");
        status(done + "-1", TaskState.FINISHED, 0);
        String relaunching = submit(true);
        claim(relaunching, relaunching + "-1");
        status(relaunching + "-1", TaskState.FAILED, 1);
        String running = submit(false);
        claim(running, running + "-1");
        status(running + "-1", TaskState.RUNNING, null);

        CoreHarness next = new CoreHarness(config, new ManualClock(h.clock.millis() + 100), h.registry.load(), 3);
        @SuppressWarnings("unchecked")
        List<SubmissionView> known = (List<SubmissionView>) next.handle(
                new Command.Query(c -> c.reader().submissions())).reply().body();
        assertThat(known).extracting(SubmissionView::submissionId, SubmissionView::driverState)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(done, "FINISHED"),
                org.assertj.core.groups.Tuple.tuple(relaunching, "RELAUNCHING"),
                org.assertj.core.groups.Tuple.tuple(running, "RUNNING"));
        // The running driver's task is still its one task; its end is still understood.
        assertThat(next.handle(new Command.ClaimDriver(running, FW, running + "-2", "a", "h")).reply().status())
                .isEqualTo(409);
        next.handle(new Command.DriverTaskStatus(new TaskStatus(running + "-1", FW, "agent-1", TaskState.FINISHED,
                null, null, 0, null, TaskStatus.Source.AGENT, 0)));
        next.advance(Duration.ofSeconds(1));
        @SuppressWarnings("unchecked")
        List<SubmissionView> after = (List<SubmissionView>) next.handle(
                new Command.Query(c -> c.reader().submissions())).reply().body();
        assertThat(after).extracting(SubmissionView::submissionId, SubmissionView::driverState)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(done, "FINISHED"),
                        org.assertj.core.groups.Tuple.tuple(relaunching, "RELAUNCHING"),
                        org.assertj.core.groups.Tuple.tuple(running, "FINISHED"));
        StateReader.DriverWork work = (StateReader.DriverWork) next.handle(
                new Command.Query(c -> c.reader().driverWork())).reply().body();
        assertThat(work.launch()).extracting(RegistrySnapshot.SavedDriver::id).containsExactly(relaunching);
    }
}
