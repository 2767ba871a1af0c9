package dev.tower.agent.status;

import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.model.CommandInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class StatusUpdatesTest {
    private static final TaskKey KEY = new TaskKey("fw1", "t1");
    private static final TaskCheckpoint CHECKPOINT = new TaskCheckpoint("fw1", FrameworkInfo.named("f", "*").withId("fw1"),
            TaskInfo.of("t1", Resources.EMPTY, CommandInfo.shell("true")), "/tmp/sandbox", null, null);

    @TempDir
    Path meta;
    final ScheduledExecutorService timer = Executors.newScheduledThreadPool(1);
    final List<TaskStatus> sent = new CopyOnWriteArrayList<>();
    final List<TaskKey> settled = new CopyOnWriteArrayList<>();
    final AtomicBoolean connected = new AtomicBoolean(true);

    @AfterEach
    void tearDown() {
        timer.shutdownNow();
    }

    private StatusUpdates newStream() {
        return new StatusUpdates(meta, timer, s -> {
            if (!connected.get()) {
                return false;
            }
            sent.add(s);
            return true;
        }, settled::add, Duration.ofMillis(300), Duration.ofSeconds(2));
    }

    private static TaskStatus status(TaskState state) {
        return new TaskStatus("t1", "fw1", "agent-1", state, null, null, null, UUID.randomUUID().toString(),
                TaskStatus.Source.AGENT, 1.0);
    }

    private long timesSent(TaskStatus s) {
        return sent.stream().filter(x -> x.uuid().equals(s.uuid())).count();
    }

    @Test
    void updateIsRetriedUntilAcknowledgedThenTheNextIsSent() {
        StatusUpdates updates = newStream();
        updates.track(KEY, CHECKPOINT);
        TaskStatus running = status(TaskState.RUNNING);
        TaskStatus finished = status(TaskState.FINISHED);
        updates.enqueue(KEY, running);
        updates.enqueue(KEY, finished);

        await().atMost(Duration.ofSeconds(5)).until(() -> timesSent(running) >= 3);
        assertThat(timesSent(finished)).as("only the head of the stream is in flight").isZero();

        updates.acknowledge("fw1", "t1", running.uuid());
        await().until(() -> timesSent(finished) >= 1);
        long runningSends = timesSent(running);

        // A late duplicate ack of the first update and an ack nobody asked for change nothing.
        updates.acknowledge("fw1", "t1", running.uuid());
        updates.acknowledge("fw1", "t1", UUID.randomUUID().toString());
        updates.acknowledge("fw1", "other-task", finished.uuid());
        assertThat(updates.unacknowledged(KEY)).containsExactly(finished);
        assertThat(settled).isEmpty();

        updates.acknowledge("fw1", "t1", finished.uuid());
        assertThat(settled).containsExactly(KEY);
        assertThat(updates.isTracked(KEY)).isFalse();
        assertThat(meta.resolve("frameworks/fw1/tasks/t1")).doesNotExist();
        assertThat(timesSent(running)).isEqualTo(runningSends);
        updates.close();
    }

    @Test
    void restartFromTheSameDirectoryResendsWhatWasNotAcknowledged() throws Exception {
        StatusUpdates before = newStream();
        before.track(KEY, CHECKPOINT);
        TaskStatus starting = status(TaskState.STARTING);
        TaskStatus running = status(TaskState.RUNNING);
        before.enqueue(KEY, starting);
        before.enqueue(KEY, running);
        before.acknowledge("fw1", "t1", starting.uuid());
        before.close();
        sent.clear();

        StatusUpdates after = newStream();
        List<StatusUpdates.Recovered> recovered = after.recover();

        assertThat(recovered).hasSize(1);
        StatusUpdates.Recovered r = recovered.get(0);
        assertThat(r.key()).isEqualTo(KEY);
        assertThat(r.checkpoint()).isEqualTo(CHECKPOINT);
        assertThat(r.latestState()).contains(TaskState.RUNNING);
        assertThat(r.terminal()).isFalse();
        assertThat(r.unacknowledged()).containsExactly(running);

        after.resendAll();
        assertThat(sent).containsExactly(running);
        after.acknowledge("fw1", "t1", running.uuid());
        assertThat(after.unacknowledged(KEY)).isEmpty();
        after.close();
    }

    @Test
    void nothingIsRetriedWhileDisconnectedAndEverythingIsResentOnSubscription() {
        connected.set(false);
        StatusUpdates updates = newStream();
        updates.track(KEY, CHECKPOINT);
        TaskStatus running = status(TaskState.RUNNING);
        updates.enqueue(KEY, running);
        assertThat(sent).isEmpty();

        connected.set(true);
        updates.resendAll();
        assertThat(sent).containsExactly(running);
        updates.close();
    }

    @Test
    void taskWhoseTerminalUpdateWasAcknowledgedIsNotRecovered() throws Exception {
        StatusUpdates before = newStream();
        before.track(KEY, CHECKPOINT);
        TaskStatus failed = status(TaskState.FAILED);
        before.enqueue(KEY, failed);
        before.acknowledge("fw1", "t1", failed.uuid());
        before.close();

        assertThat(newStream().recover()).isEmpty();
    }
}
