package dev.tower.agent.containerizer;

import dev.tower.agent.isolation.CgroupName;
import dev.tower.agent.isolation.IsolationException;
import dev.tower.agent.isolation.Isolator;
import dev.tower.agent.isolation.TaskIsolation;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.TaskInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Stream;

/**
 * Runs command tasks as child processes, each started by {@link TaskCommand}: in a session of its own (so the
 * task's pid is its process group id and a kill reaches everything it forked), under a shell that records its exit
 * status in the task's checkpoint directory. Tasks outlive the agent (their output goes to files in the sandbox, not
 * to pipes the agent holds), and an agent restarted on the same work dir watches them again and learns their exit
 * status from that record. The {@link Isolator} holds each task to its resources (cgroups), or does nothing.
 *
 * <p>A task runs as the user it asks for ({@link LaunchSpec#user()}), else as the agent's task user
 * ({@code tower agent --task-user}), else as the agent's own user. To run it as another user than its own the agent
 * must be root: it hands the sandbox over to that user ({@code chown -R}, once the URIs are fetched) and starts the
 * task through {@code setpriv} with the user's uid, gid and groups, and its {@code HOME}, {@code USER} and
 * {@code LOGNAME} (see {@link TaskCommand}).
 */
public final class ProcessContainerizer implements Containerizer {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessContainerizer.class);
    /** How often a task left by an earlier run of the agent is checked for its end (it cannot be waited for). */
    static final Duration ORPHAN_POLL = Duration.ofMillis(250);

    private final ScheduledExecutorService timer;
    private final Map<String, String> agentEnv;
    private final Isolator isolator;
    /** The user tasks naming none run as; null for the agent's own. */
    private final String taskUser;
    private final int selfUid;

    /** Tasks without resource limits. */
    public ProcessContainerizer(ScheduledExecutorService timer) {
        this(timer, System.getenv(), Isolator.NONE);
    }

    public ProcessContainerizer(ScheduledExecutorService timer, Isolator isolator) {
        this(timer, System.getenv(), isolator);
    }

    public ProcessContainerizer(ScheduledExecutorService timer, Map<String, String> agentEnv, Isolator isolator) {
        this(timer, agentEnv, isolator, null);
    }

    /** @param taskUser the user tasks that name none run as; null for the agent's own */
    public ProcessContainerizer(ScheduledExecutorService timer, Map<String, String> agentEnv, Isolator isolator,
                                String taskUser) {
        this(timer, agentEnv, isolator, taskUser, TaskUser.selfUid());
    }

    /** @param selfUid the uid the agent runs as */
    ProcessContainerizer(ScheduledExecutorService timer, Map<String, String> agentEnv, Isolator isolator,
                         String taskUser, int selfUid) {
        this.timer = timer;
        this.agentEnv = Map.copyOf(agentEnv);
        this.isolator = isolator;
        this.taskUser = taskUser == null || taskUser.isBlank() ? null : taskUser;
        this.selfUid = selfUid;
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
        TaskUser user = switchTo(spec);
        Path setpriv = null;
        if (user != null) {
            setpriv = TaskCommand.setpriv().orElseThrow(() -> new LaunchException("cannot run the task as user '"
                    + user.name() + "': setpriv (util-linux) is not installed on agent " + spec.hostname()));
            handOver(spec.sandbox(), user);
        }
        TaskIsolation isolation;
        try {
            isolation = isolator.isolate(CgroupName.of(spec.frameworkId(), spec.task().taskId()),
                    spec.task().resources());
        } catch (IsolationException e) {
            throw new LaunchException("cannot isolate the task: " + e.getMessage());
        }
        ProcessBuilder pb = new ProcessBuilder(TaskCommand.of(cmd, ExitStatusFile.in(spec.checkpointDir()),
                isolation.joinFiles(), user, setpriv))
                .directory(workDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.sandbox().resolve("stdout").toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(spec.sandbox().resolve("stderr").toFile()));
        pb.environment().clear();
        pb.environment().putAll(TaskEnvironment.of(spec, agentEnv));
        if (user != null) {
            // The agent's own would point the task at root's home; the task's environment has the last word.
            for (Map.Entry<String, String> e : Map.of("HOME", user.home(), "USER", user.name(), "LOGNAME", user.name())
                    .entrySet()) {
                if (!cmd.environment().containsKey(e.getKey())) {
                    pb.environment().put(e.getKey(), e.getValue());
                }
            }
        }
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
     * The user the task runs as when it is not the agent's own; null to run it as the agent's own. The one the launch
     * names, else the command's, else the agent's task user.
     */
    private TaskUser switchTo(LaunchSpec spec) throws LaunchException {
        String own = spec.task().command().user();
        String name = spec.user() != null ? spec.user() : own != null && !own.isBlank() ? own : taskUser;
        if (name == null) {
            return null;
        }
        TaskUser user = TaskUser.lookup(name).orElseThrow(() -> new LaunchException("task user '" + name
                + "' does not exist on agent " + spec.hostname()));
        if (user.uid() == selfUid) {
            return null;
        }
        if (selfUid != 0) {
            throw new LaunchException("cannot run the task as user '" + name + "': the agent runs as "
                    + System.getProperty("user.name") + " (uid " + selfUid + "), and only a root agent can run tasks "
                    + "as other users");
        }
        return user;
    }

    /**
     * The sandbox (with what was fetched into it, and the {@code stdout} and {@code stderr} the task writes) becomes the
     * user's. Symbolic links are changed themselves, never what they point to.
     */
    private static void handOver(Path sandbox, TaskUser user) throws LaunchException {
        try {
            for (String f : List.of("stdout", "stderr")) {
                Path p = sandbox.resolve(f);
                if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createFile(p);
                }
            }
            try (Stream<Path> all = Files.walk(sandbox)) {
                for (Path p : (Iterable<Path>) all::iterator) {
                    Files.setAttribute(p, "unix:uid", user.uid(), LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(p, "unix:gid", user.gid(), LinkOption.NOFOLLOW_LINKS);
                }
            }
        } catch (IOException | UncheckedIOException | UnsupportedOperationException e) {
            throw new LaunchException("cannot give the sandbox to task user '" + user.name() + "': " + e);
        }
        for (Path dir = sandbox.toAbsolutePath().getParent(); dir != null; dir = dir.getParent()) {
            try {
                if (!Files.getPosixFilePermissions(dir).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    LOG.warn("{} is not searchable by others: task user {} runs in its sandbox, but cannot reach it by "
                            + "its path ({})", dir, user.name(), sandbox);
                    break;
                }
            } catch (IOException | UnsupportedOperationException e) {
                break;
            }
        }
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
