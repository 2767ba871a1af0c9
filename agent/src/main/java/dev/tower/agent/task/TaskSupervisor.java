package dev.tower.agent.task;

import dev.tower.agent.containerizer.Container;
import dev.tower.agent.containerizer.ContainerExit;
import dev.tower.agent.containerizer.Containerizer;
import dev.tower.agent.containerizer.LaunchException;
import dev.tower.agent.containerizer.LaunchSpec;
import dev.tower.agent.fetcher.FetchException;
import dev.tower.agent.fetcher.Fetcher;
import dev.tower.agent.sandbox.SandboxGc;
import dev.tower.agent.sandbox.Sandboxes;
import dev.tower.agent.status.StatusUpdates;
import dev.tower.agent.status.TaskCheckpoint;
import dev.tower.agent.status.TaskKey;
import dev.tower.api.agent.AgentCall.TaskReport;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The life of every task on this agent: STARTING, fetch, launch, RUNNING, exactly one terminal state. It turns the
 * master's RUN_TASK / KILL_TASK / SHUTDOWN_FRAMEWORK into containerizer calls and every state change into a status
 * update on the task's durable stream.
 */
public final class TaskSupervisor {
    private static final Logger LOG = LoggerFactory.getLogger(TaskSupervisor.class);

    private final Sandboxes sandboxes;
    private final SandboxGc gc;
    private final Fetcher fetcher;
    private final List<Containerizer> containerizers;
    private final ExecutorService fetchers;
    private final ExecutorService launcher;
    private final Supplier<String> agentId;
    private final String hostname;
    private final Clock clock;
    private final Observer observer;
    private StatusUpdates updates;
    private final Map<TaskKey, Task> tasks = new LinkedHashMap<>();
    private boolean closed;

    /** When a task's process ended, as far as the agent is concerned. */
    private enum Ending {
        /** The agent launched it and was there to see it end (as its parent, it always learns the status). */
        WATCHED,
        /** It ended after an agent restart, watched again by the new agent, which is no longer its parent. */
        AFTER_AGENT_RESTART,
        /** It ended while the agent was down; found so when the agent restarted. */
        WHILE_AGENT_DOWN
    }

    /**
     * Told how launches and tasks end, for metrics. Every RUN_TASK accepted here ends in exactly one of
     * {@link #launched} and {@link #launchFailed}; every task whose process ends while this agent watches it (one it
     * launched, or found still running after a restart) in one {@link #exited}. Called under the supervisor's lock or on a launch thread: it must be cheap and must not block.
     */
    public interface Observer {
        Observer NONE = new Observer() { };

        /** A RUN_TASK was accepted (not a duplicate). */
        default void runTask() {
        }

        /** Its process started (RUNNING), {@code sinceRunTask} after the RUN_TASK arrived (fetching included). */
        default void launched(Duration sinceRunTask) {
        }

        /** It never started; {@code reason} is one of a few fixed words ({@code fetch}, {@code killed}, ...). */
        default void launchFailed(String reason) {
        }

        /** Its process ended; {@code reason} is one of a few fixed words ({@code exit_zero}, {@code killed}, ...). */
        default void exited(String reason) {
        }
    }

    /** Mutable state of one task; guarded by the supervisor's lock. */
    private static final class Task {
        final TaskKey key;
        final FrameworkInfo framework;
        final TaskInfo info;
        final Path sandbox;
        TaskCheckpoint checkpoint;
        TaskState state;
        Container container;
        Duration killGrace;
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        /** {@link System#nanoTime} when RUN_TASK arrived; 0 for a task recovered after an agent restart. */
        long runTaskAt;

        Task(TaskKey key, FrameworkInfo framework, TaskInfo info, Path sandbox, TaskCheckpoint checkpoint, TaskState state) {
            this.key = key;
            this.framework = framework;
            this.info = info;
            this.sandbox = sandbox;
            this.checkpoint = checkpoint;
            this.state = state;
        }
    }

    /**
     * What the agent adds to every task's environment (its token for the agent's API, where that API is), by
     * framework id and task id; a task's own variables of the same names win.
     */
    public void addToTaskEnvironment(java.util.function.BiFunction<String, String, Map<String, String>> env) {
        this.agentEnvironment = env;
    }

    private TaskInfo withAgentEnvironment(Task task) {
        Map<String, String> extra = agentEnvironment.apply(task.key.frameworkId(), task.info.taskId());
        if (extra.isEmpty() || task.info.command() == null) {
            return task.info;
        }
        Map<String, String> env = new java.util.HashMap<>(extra);
        env.putAll(task.info.command().environment());
        return task.info.withCommand(task.info.command().withEnvironment(env));
    }

    public TaskSupervisor(Sandboxes sandboxes, SandboxGc gc, Fetcher fetcher, List<Containerizer> containerizers,
                          ExecutorService fetchers, ExecutorService launcher, Supplier<String> agentId, String hostname,
                          Clock clock) {
        this(sandboxes, gc, fetcher, containerizers, fetchers, launcher, agentId, hostname, clock, Observer.NONE);
    }

    private volatile java.util.function.BiFunction<String, String, Map<String, String>> agentEnvironment =
            (fw, task) -> Map.of();

    public TaskSupervisor(Sandboxes sandboxes, SandboxGc gc, Fetcher fetcher, List<Containerizer> containerizers,
                          ExecutorService fetchers, ExecutorService launcher, Supplier<String> agentId, String hostname,
                          Clock clock, Observer observer) {
        this.observer = observer;
        this.sandboxes = sandboxes;
        this.gc = gc;
        this.fetcher = fetcher;
        this.containerizers = List.copyOf(containerizers);
        this.fetchers = fetchers;
        this.launcher = launcher;
        this.agentId = agentId;
        this.hostname = hostname;
        this.clock = clock;
    }

    /** Set once at wiring time: the status stream and the supervisor refer to each other. */
    public synchronized void attach(StatusUpdates statusUpdates) {
        this.updates = statusUpdates;
    }

    /** RUN_TASK. A task id already known here is a duplicate delivery and is ignored. */
    public void run(String frameworkId, FrameworkInfo framework, TaskInfo info) {
        TaskKey key = new TaskKey(frameworkId, info.taskId());
        Task task;
        synchronized (this) {
            if (tasks.containsKey(key)) {
                LOG.info("{} is already known here (state {}); ignoring the duplicate RUN_TASK", key, tasks.get(key).state);
                return;
            }
            Path sandbox;
            try {
                sandbox = sandboxes.create(frameworkId, info.taskId());
            } catch (IOException | IllegalArgumentException e) {
                sandbox = null;
                LOG.warn("cannot create the sandbox of {}: {}", key, e.toString());
            }
            TaskCheckpoint cp = new TaskCheckpoint(frameworkId, framework, info,
                    sandbox == null ? null : sandbox.toString(), null, null);
            task = new Task(key, framework, info, sandbox, cp, TaskState.STAGING);
            task.runTaskAt = System.nanoTime();
            tasks.put(key, task);
            updates.track(key, cp);
            observer.runTask();
            if (sandbox == null) {
                failLaunch(task, "sandbox", TaskState.FAILED, "cannot create sandbox", null);
                return;
            }
            transition(task, TaskState.STARTING, null, null, null);
        }
        if (uris(task).isEmpty()) {
            launcher.execute(() -> launch(task));
        } else {
            fetchers.execute(() -> fetch(task));
        }
    }

    /** KILL_TASK. An unknown task is answered with DROPPED so the master can settle it. */
    public void kill(String frameworkId, String taskId, Double gracePeriodSeconds) {
        TaskKey key = new TaskKey(frameworkId, taskId);
        Container container;
        Duration grace;
        synchronized (this) {
            Task task = tasks.get(key);
            if (task == null) {
                LOG.info("asked to kill unknown {}; answering DROPPED", key);
                TaskCheckpoint cp = new TaskCheckpoint(frameworkId, null, null, null, null, null);
                Task unknown = new Task(key, null, null, null, cp, TaskState.STAGING);
                tasks.put(key, unknown);
                updates.track(key, cp);
                transition(unknown, TaskState.DROPPED, "unknown task", null, null);
                return;
            }
            if (task.state.isTerminal()) {
                LOG.debug("{} is already {}; nothing to kill", key, task.state);
                return;
            }
            grace = seconds(gracePeriodSeconds != null ? gracePeriodSeconds : task.info.gracePeriodSeconds());
            if (task.killGrace == null) {
                LOG.info("killing {} (grace period {} ms)", key, grace.toMillis());
            }
            task.killGrace = task.killGrace == null || grace.compareTo(task.killGrace) < 0 ? grace : task.killGrace;
            container = task.container;
        }
        // Without a container the task is still being fetched or launched; launch() sees killGrace and stops it.
        if (container != null) {
            container.kill(grace);
        }
    }

    /** SHUTDOWN_FRAMEWORK: every task of the framework is killed with its own grace period. */
    public void shutdownFramework(String frameworkId) {
        for (TaskKey key : keys()) {
            if (key.frameworkId().equals(frameworkId)) {
                kill(key.frameworkId(), key.taskId(), null);
            }
        }
    }

    /** Kills every task and waits (at most {@code timeout}) for them to end. For {@code tower up} clean-up. */
    public void shutdownAll(Duration timeout) {
        List<CompletableFuture<Void>> ends = new ArrayList<>();
        for (TaskKey key : keys()) {
            kill(key.frameworkId(), key.taskId(), null);
            synchronized (this) {
                Task t = tasks.get(key);
                if (t != null && t.info != null) {
                    ends.add(t.ended);
                }
            }
        }
        try {
            CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("some tasks were still running {} ms after being killed", timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            LOG.warn("waiting for tasks to end failed: {}", e.getCause().toString());
        }
    }

    /** Called by the status stream when a task's terminal update is acknowledged: the task is forgotten. */
    public void settled(TaskKey key) {
        Task task;
        synchronized (this) {
            task = tasks.remove(key);
        }
        if (task != null && task.sandbox != null) {
            gc.schedule(task.sandbox);
        }
    }

    /**
     * Restores the tasks found in the checkpoints. A task whose process still runs is watched again, and reported
     * with its exit status when it ends; one whose process ended while the agent was down is reported with the exit
     * status it recorded. Both are reported RUNNING first if that update was lost with the agent.
     */
    public void recover(List<StatusUpdates.Recovered> recovered) {
        for (StatusUpdates.Recovered r : recovered) {
            TaskCheckpoint cp = r.checkpoint();
            Task task = new Task(r.key(), cp.framework(), cp.task(), cp.sandbox() == null ? null : Path.of(cp.sandbox()),
                    cp, r.latestState().orElse(TaskState.STAGING));
            synchronized (this) {
                tasks.put(r.key(), task);
            }
            if (r.terminal() || cp.task() == null) {
                task.ended.complete(null);
                continue;
            }
            if (cp.pid() == null) {
                // Its process was never recorded: the agent went down while fetching or launching it.
                synchronized (this) {
                    transition(task, TaskState.FAILED, "agent restarted while the task was being launched", null, null);
                }
                continue;
            }
            Instant startedAt = cp.startedAt() == null ? null : Instant.parse(cp.startedAt());
            Path checkpointDir = updates.checkpointDir(r.key());
            Optional<Container> found = containerizers.stream()
                    .map(c -> c.recover(r.key().frameworkId(), cp.task(), checkpointDir, cp.pid(), startedAt))
                    .flatMap(Optional::stream)
                    .findFirst();
            if (found.isEmpty()) {
                synchronized (this) {
                    transition(task, TaskState.FAILED, "agent restarted; task lost", null, null);
                }
                continue;
            }
            Container container = found.get();
            boolean endedWhileDown = container.exit().isDone();
            if (endedWhileDown) {
                LOG.info("{} (pid {}) ended while the agent was down", r.key(), cp.pid());
            } else {
                LOG.info("{} is still running as pid {} after the agent restart; watching it again", r.key(), cp.pid());
            }
            synchronized (this) {
                task.container = container;
                if (task.state != TaskState.RUNNING) {
                    transition(task, TaskState.RUNNING, null, "pid " + cp.pid(), null);
                }
            }
            container.exit().thenAccept(exit -> exited(task, exit,
                    endedWhileDown ? Ending.WHILE_AGENT_DOWN : Ending.AFTER_AGENT_RESTART));
        }
    }

    /** {@code frameworkId/taskId} of every task this agent knows (running, or ended and not yet settled). */
    public synchronized java.util.Set<String> knownTasks() {
        java.util.Set<String> out = new java.util.HashSet<>();
        tasks.keySet().forEach(k -> out.add(k.frameworkId() + "/" + k.taskId()));
        return out;
    }

    /** Stops recording: tasks that end from now on are left for the next run of the agent to report. */
    public synchronized void close() {
        closed = true;
    }

    /** What SUBSCRIBE reports: every task not yet terminal-and-acknowledged. */
    public synchronized List<TaskReport> reports() {
        List<TaskReport> out = new ArrayList<>();
        for (Task t : tasks.values()) {
            if (t.info != null) {
                out.add(new TaskReport(t.key.frameworkId(), t.info, t.state, t.framework));
            }
        }
        return out;
    }

    public synchronized List<TaskView> views() {
        List<TaskView> out = new ArrayList<>();
        for (Task t : tasks.values()) {
            Container c = t.container;
            out.add(new TaskView(t.key.frameworkId(), t.key.taskId(), t.info == null ? null : t.info.name(), t.state,
                    t.sandbox == null ? null : t.sandbox.toString(), c == null ? null : c.pid(),
                    c == null || t.state.isTerminal() ? null : c.usage().orElse(null)));
        }
        return out;
    }

    /** The resources of the tasks not yet ended. */
    public synchronized Resources used() {
        Resources used = Resources.EMPTY;
        for (Task t : tasks.values()) {
            if (t.info != null && !t.state.isTerminal()) {
                used = used.plus(t.info.resources());
            }
        }
        return used;
    }

    public synchronized Optional<TaskState> state(String frameworkId, String taskId) {
        Task t = tasks.get(new TaskKey(frameworkId, taskId));
        return t == null ? Optional.empty() : Optional.of(t.state);
    }

    /** Whether a sandbox belongs to a task still known here (so it must not be collected). */
    public synchronized boolean usesSandbox(Path dir) {
        return tasks.values().stream().anyMatch(t -> dir.equals(t.sandbox));
    }

    private synchronized List<TaskKey> keys() {
        return new ArrayList<>(tasks.keySet());
    }

    private static List<CommandInfo.FetchUri> uris(Task task) {
        return task.info.command() == null ? List.of() : task.info.command().uris();
    }

    /**
     * Downloads run on their own threads, as many as there are tasks fetching, so a slow download never holds up
     * launches; launches share a few threads, as spawning more processes at once than there are cores only slows
     * every one of them.
     */
    private void fetch(Task task) {
        try {
            fetcher.fetchAll(uris(task), task.sandbox);
        } catch (FetchException e) {
            synchronized (this) {
                failLaunch(task, task.killGrace != null ? "killed" : "fetch", killedOr(task, TaskState.FAILED),
                        killedOr(task, e.getMessage()), null);
            }
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        launcher.execute(() -> launch(task));
    }

    private void launch(Task task) {
        Optional<Containerizer> containerizer = containerizers.stream().filter(c -> c.canLaunch(task.info)).findFirst();
        synchronized (this) {
            if (closed) {
                return;
            }
            if (task.killGrace != null) {
                failLaunch(task, "killed", TaskState.KILLED, "killed", "killed before it started");
                return;
            }
            if (containerizer.isEmpty()) {
                failLaunch(task, "no_containerizer", TaskState.FAILED, task.info.container() != null
                        ? "this agent cannot run " + task.info.container().type().json() + " containers (see its "
                        + "attribute containerizers)" : "no containerizer can run this task (it has no command)",
                        null);
                return;
            }
        }
        Container container;
        try {
            container = containerizer.get().launch(new LaunchSpec(task.key.frameworkId(), agentId.get(), hostname,
                    withAgentEnvironment(task), task.sandbox, updates.checkpointDir(task.key), requestedUser(task)));
        } catch (LaunchException e) {
            synchronized (this) {
                failLaunch(task, "containerizer", TaskState.FAILED, "launch failed: " + e.getMessage(), null);
            }
            return;
        }
        Duration killNow;
        synchronized (this) {
            task.container = container;
            task.checkpoint = task.checkpoint.withProcess(container.pid(),
                    container.startedAt().map(Instant::toString).orElse(null));
            updates.checkpoint(task.key, task.checkpoint);
            if (transition(task, TaskState.RUNNING, null, "pid " + container.pid(), null)) {
                observer.launched(Duration.ofNanos(System.nanoTime() - task.runTaskAt));
            }
            killNow = task.killGrace;
        }
        if (killNow != null) {
            container.kill(killNow);
        }
        // Registered after RUNNING is queued, so a process that exits at once still reports RUNNING first.
        container.exit().thenAccept(exit -> exited(task, exit, Ending.WATCHED));
    }

    /** The task's command's user, else its framework's; null when neither names one (the agent's choice then). */
    private static String requestedUser(Task task) {
        String user = task.info.command() == null ? null : task.info.command().user();
        if ((user == null || user.isBlank()) && task.framework != null) {
            user = task.framework.user();
        }
        return user == null || user.isBlank() ? null : user;
    }

    private synchronized void exited(Task task, ContainerExit exit, Ending ending) {
        Integer code = exit.exitCode();
        String whileDown = ending == Ending.WHILE_AGENT_DOWN ? " while the agent was down" : "";
        if (task.killGrace != null) {
            exit(task, "killed", TaskState.KILLED, "killed", code == null ? null : "exited with status " + code, code);
        } else if (exit.failure() != null) {
            exit(task, "failure", TaskState.FAILED, exit.failure(), code == null ? null : "exited with status " + code
                    + whileDown, code);
        } else if (code == null) {
            // The process is gone, so the task did end, but how is unknown: it recorded no status, which mostly means
            // its whole process group was killed with SIGKILL while the agent was not its parent. FAILED rather than
            // LOST, since the agent knows the task is not running (LOST says it may still be), as a Mesos agent reports
            // a task whose executor ended without telling: TASK_FAILED, reason REASON_EXECUTOR_TERMINATED.
            exit(task, "unknown", TaskState.FAILED, "exit status unknown: the task ended "
                            + (ending == Ending.WHILE_AGENT_DOWN ? "while the agent was down" : "after an agent restart")
                            + " and recorded none",
                    "pid " + task.container.pid() + " is gone; was its process group killed with SIGKILL?", null);
        } else if (code == 0) {
            exit(task, "exit_zero", TaskState.FINISHED, null, "exited with status 0" + whileDown, 0);
        } else {
            exit(task, "exit_nonzero", TaskState.FAILED, "exited with status " + code, whileDown.isEmpty() ? null
                    : "ended" + whileDown, code);
        }
    }

    /** Must hold the lock. A launch that did not happen: its terminal status, counted under {@code why}. */
    private void failLaunch(Task task, String why, TaskState state, String reason, String message) {
        if (transition(task, state, reason, message, null)) {
            observer.launchFailed(why);
        }
    }

    /** Must hold the lock. A process that ended: its terminal status, counted under {@code why}. */
    private void exit(Task task, String why, TaskState state, String reason, String message, Integer exitCode) {
        if (transition(task, state, reason, message, exitCode)) {
            observer.exited(why);
        }
    }

    private static TaskState killedOr(Task task, TaskState otherwise) {
        return task.killGrace != null ? TaskState.KILLED : otherwise;
    }

    private static String killedOr(Task task, String otherwise) {
        return task.killGrace != null ? "killed" : otherwise;
    }

    /**
     * Must hold the lock. Terminal states are final: a task gets exactly one. Once closed, the supervisor records
     * nothing: whatever happens next is for the next run of the agent to find. Returns whether it was recorded.
     */
    private boolean transition(Task task, TaskState state, String reason, String message, Integer exitCode) {
        if (task.state.isTerminal() || closed) {
            return false;
        }
        task.state = state;
        TaskStatus status = new TaskStatus(task.key.taskId(), task.key.frameworkId(), agentId.get(), state, reason,
                message, exitCode, UUID.randomUUID().toString(), TaskStatus.Source.AGENT, clock.millis() / 1000.0);
        LOG.info("{} is {}{}{}", task.key, state, reason == null ? "" : ": " + reason,
                message == null ? "" : " (" + message + ")");
        updates.enqueue(task.key, status);
        if (state.isTerminal()) {
            task.ended.complete(null);
        }
        return true;
    }

    private static Duration seconds(double s) {
        return Duration.ofMillis(Math.max(0, Math.round(s * 1000)));
    }
}
