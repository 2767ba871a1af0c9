package dev.tower.agent.task;

import dev.tower.agent.containerizer.ProcessContainerizer;
import dev.tower.agent.fetcher.Fetcher;
import dev.tower.agent.isolation.Isolator;
import dev.tower.agent.sandbox.SandboxGc;
import dev.tower.agent.sandbox.Sandboxes;
import dev.tower.agent.status.StatusUpdates;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;

/** A supervisor with a real process containerizer and a master stand-in that acknowledges every update it gets. */
final class SupervisorHarness implements AutoCloseable {
    final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
    final ExecutorService launcher = Executors.newCachedThreadPool();
    final ExecutorService acker = Executors.newSingleThreadExecutor();
    final List<TaskStatus> sent = new CopyOnWriteArrayList<>();
    final Sandboxes sandboxes;
    final TaskSupervisor supervisor;
    final StatusUpdates updates;

    SupervisorHarness(Path workDir) {
        this(workDir, TaskSupervisor.Observer.NONE);
    }

    SupervisorHarness(Path workDir, TaskSupervisor.Observer observer) {
        this(workDir, observer, timer -> Isolator.NONE);
    }

    /** Process tasks limited by the isolator made from the harness's {@link #timer}. */
    SupervisorHarness(Path workDir, Function<ScheduledExecutorService, Isolator> isolator) {
        this(workDir, TaskSupervisor.Observer.NONE, isolator);
    }

    /** Process tasks limited by the isolator, run as {@code taskUser} unless they name a user (null: the agent's). */
    SupervisorHarness(Path workDir, Function<ScheduledExecutorService, Isolator> isolator, String taskUser) {
        this(workDir, TaskSupervisor.Observer.NONE, isolator, taskUser);
    }

    private SupervisorHarness(Path workDir, TaskSupervisor.Observer observer,
                              Function<ScheduledExecutorService, Isolator> isolator) {
        this(workDir, observer, isolator, null);
    }

    private SupervisorHarness(Path workDir, TaskSupervisor.Observer observer,
                              Function<ScheduledExecutorService, Isolator> isolator, String taskUser) {
        sandboxes = new Sandboxes(workDir);
        supervisor = new TaskSupervisor(sandboxes, new SandboxGc(sandboxes, Duration.ofHours(1), timer, Clock.systemUTC()),
                Fetcher.withDefaultClient(), List.of(new ProcessContainerizer(timer, System.getenv(), isolator.apply(timer),
                taskUser)), launcher, launcher,
                () -> "agent-1",
                "127.0.0.1", Clock.systemUTC(), observer);
        updates = new StatusUpdates(workDir.resolve("meta"), timer, status -> {
            sent.add(status);
            acker.execute(() -> updates().acknowledge(status.frameworkId(), status.taskId(), status.uuid()));
            return true;
        }, supervisor::settled);
        supervisor.attach(updates);
    }

    private StatusUpdates updates() {
        return updates;
    }

    List<TaskStatus> of(String taskId) {
        return sent.stream().filter(s -> s.taskId().equals(taskId)).toList();
    }

    List<TaskState> states(String taskId) {
        return of(taskId).stream().map(TaskStatus::state).distinct().toList();
    }

    TaskStatus last(String taskId) {
        List<TaskStatus> l = of(taskId);
        return l.isEmpty() ? null : l.get(l.size() - 1);
    }

    boolean ended(String taskId) {
        TaskStatus l = last(taskId);
        return l != null && l.state().isTerminal();
    }

    @Override
    public void close() {
        supervisor.shutdownAll(Duration.ofSeconds(10));
        updates.close();
        acker.shutdownNow();
        launcher.shutdownNow();
        timer.shutdownNow();
    }
}
