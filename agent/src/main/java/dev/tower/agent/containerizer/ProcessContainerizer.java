package dev.tower.agent.containerizer;

import dev.tower.agent.isolation.CgroupName;
import dev.tower.agent.isolation.IsolationException;
import dev.tower.agent.isolation.Isolator;
import dev.tower.agent.isolation.TaskIsolation;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.TaskInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Runs command tasks as child processes, each started by {@link TaskCommand}: in a session of its own (so the
 * task's pid is its process group id and a kill reaches everything it forked), under a shell that records its exit
 * status in the task's checkpoint directory. Tasks outlive the agent (their output goes to files in the sandbox, not
 * to pipes the agent holds), and an agent restarted on the same work dir watches them again and learns their exit
 * status from that record. The {@link Isolator} holds each task to its resources (cgroups), or does nothing.
 */
public final class ProcessContainerizer implements Containerizer {
    /** How often a task left by an earlier run of the agent is checked for its end (it cannot be waited for). */
    static final Duration ORPHAN_POLL = Duration.ofMillis(250);

    private final ScheduledExecutorService timer;
    private final Map<String, String> agentEnv;
    private final Isolator isolator;

    /** Tasks without resource limits. */
    public ProcessContainerizer(ScheduledExecutorService timer) {
        this(timer, System.getenv(), Isolator.NONE);
    }

    public ProcessContainerizer(ScheduledExecutorService timer, Isolator isolator) {
        this(timer, System.getenv(), isolator);
    }

    public ProcessContainerizer(ScheduledExecutorService timer, Map<String, String> agentEnv, Isolator isolator) {
        this.timer = timer;
        this.agentEnv = Map.copyOf(agentEnv);
        this.isolator = isolator;
    }

    @Override
    public String name() {
        return "process";
    }

    @Override
    public boolean canLaunch(TaskInfo task) {
        return task.container() == null && task.hasCommand();
    }

    @Override
    public Container launch(LaunchSpec spec) throws LaunchException {
        CommandInfo cmd = spec.task().command();
        if (!canLaunch(spec.task())) {
            throw new LaunchException("task has no command to run");
        }
        Path workDir = workingDir(spec.sandbox(), cmd.workingDir());
        TaskIsolation isolation;
        try {
            isolation = isolator.isolate(CgroupName.of(spec.frameworkId(), spec.task().taskId()),
                    spec.task().resources());
        } catch (IsolationException e) {
            throw new LaunchException("cannot isolate the task: " + e.getMessage());
        }
        ProcessBuilder pb = new ProcessBuilder(TaskCommand.of(cmd, ExitStatusFile.in(spec.checkpointDir()),
                isolation.joinFiles()))
                .directory(workDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.sandbox().resolve("stdout").toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(spec.sandbox().resolve("stderr").toFile()));
        pb.environment().clear();
        pb.environment().putAll(TaskEnvironment.of(spec, agentEnv));
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            isolation.release();
            throw new LaunchException("cannot start process: " + e.getMessage());
        }
        // The agent is the parent: the JDK reaps the task and reports its status (the record is for a later agent).
        return new ProcessContainer(process.pid(), process.info().startInstant(),
                process.onExit().thenApply(Process::exitValue), () -> true, timer, isolation);
    }

    /**
     * The process group of a task started by an earlier run of the agent. If that very process (same pid and start
     * time) still runs, it is watched until it ends; otherwise it ended while the agent was down. Either way its exit
     * status is the one it recorded, if it did: a task whose whole group was killed with SIGKILL records none. Its
     * limits are watched again, and a task that went over its memory while the agent was down fails for it.
     */
    @Override
    public Optional<Container> recover(String frameworkId, TaskInfo task, Path checkpointDir, long pid,
                                       Instant startedAt) {
        if (!canLaunch(task)) {
            return Optional.empty();
        }
        Path statusFile = ExitStatusFile.in(checkpointDir);
        CompletableFuture<Void> ended = OrphanProcess.find(pid, startedAt)
                .map(p -> p.onExit(timer, ORPHAN_POLL))
                .orElseGet(() -> CompletableFuture.completedFuture(null));
        TaskIsolation isolation = isolator.reattach(CgroupName.of(frameworkId, task.taskId()), task.resources())
                .orElse(TaskIsolation.NONE);
        return Optional.of(new ProcessContainer(pid, Optional.ofNullable(startedAt),
                ended.thenApply(v -> ExitStatusFile.read(statusFile).orElse(null)),
                () -> !OrphanProcess.pidReused(pid, startedAt), timer, isolation));
    }

    /** Cgroups of tasks the agent does not know are removed, and whatever still runs in them killed. */
    @Override
    public void removeUnknown(Set<String> knownTasks) {
        Set<String> known = new HashSet<>();
        for (String t : knownTasks) {
            int slash = t.indexOf('/');
            known.add(CgroupName.of(t.substring(0, slash), t.substring(slash + 1)));
        }
        isolator.removeUnknown(known);
    }

    @Override
    public void close() {
        isolator.close();
    }

    private static Path workingDir(Path sandbox, String dir) throws LaunchException {
        if (dir == null || dir.isBlank()) {
            return sandbox;
        }
        Path p = Path.of(dir);
        Path resolved = p.isAbsolute() ? p : sandbox.resolve(p).normalize();
        try {
            if (!p.isAbsolute()) {
                Files.createDirectories(resolved);
            }
        } catch (IOException e) {
            throw new LaunchException("cannot create working directory " + dir + ": " + e.getMessage());
        }
        if (!Files.isDirectory(resolved)) {
            throw new LaunchException("working directory " + dir + " does not exist");
        }
        return resolved;
    }
}
