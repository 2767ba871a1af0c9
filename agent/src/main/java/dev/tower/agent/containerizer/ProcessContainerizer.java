package dev.tower.agent.containerizer;

import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.TaskInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Runs command tasks as plain child processes. {@code setsid} puts each task in its own session, so the task's pid
 * is its process group id and a kill reaches everything it forked.
 */
public final class ProcessContainerizer implements Containerizer {
    private final ScheduledExecutorService timer;
    private final Map<String, String> agentEnv;

    public ProcessContainerizer(ScheduledExecutorService timer) {
        this(timer, System.getenv());
    }

    public ProcessContainerizer(ScheduledExecutorService timer, Map<String, String> agentEnv) {
        this.timer = timer;
        this.agentEnv = Map.copyOf(agentEnv);
    }

    @Override
    public String name() {
        return "process";
    }

    @Override
    public boolean canLaunch(TaskInfo task) {
        return task.command() != null && task.command().value() != null && !task.command().value().isBlank();
    }

    @Override
    public Container launch(LaunchSpec spec) throws LaunchException {
        CommandInfo cmd = spec.task().command();
        if (!canLaunch(spec.task())) {
            throw new LaunchException("task has no command to run");
        }
        Path workDir = workingDir(spec.sandbox(), cmd.workingDir());
        ProcessBuilder pb = new ProcessBuilder(argv(cmd))
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
            throw new LaunchException("cannot start process: " + e.getMessage());
        }
        return new ProcessContainer(process.pid(), process.info().startInstant(),
                process.onExit().thenApply(Process::exitValue), timer);
    }

    /**
     * The process group of a task started by an earlier agent, if that very process is still alive (same pid and start
     * time). Its exit status cannot be learned, since it is no longer this JVM's child.
     */
    @Override
    public Optional<Container> recover(TaskInfo task, long pid, Instant startedAt) {
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(h -> startedAt == null || h.info().startInstant().map(startedAt::equals).orElse(false))
                .map(h -> new ProcessContainer(pid, Optional.ofNullable(startedAt),
                        h.onExit().thenApply(x -> (Integer) null), timer));
    }

    static List<String> argv(CommandInfo cmd) {
        List<String> argv = new ArrayList<>();
        argv.add("setsid");
        if (cmd.isShell()) {
            argv.add("/bin/sh");
            argv.add("-c");
            argv.add(cmd.value());
        } else {
            argv.add(cmd.value());
            // arguments[0] is argv[0], which ProcessBuilder cannot set; the executable path stands in for it.
            argv.addAll(cmd.arguments().isEmpty() ? List.of() : cmd.arguments().subList(1, cmd.arguments().size()));
        }
        return argv;
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
