package dev.tower.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.PullResponseItem;
import dev.tower.agent.containerizer.Container;
import dev.tower.agent.containerizer.ContainerExit;
import dev.tower.agent.containerizer.Containerizer;
import dev.tower.agent.containerizer.DockerSettings;
import dev.tower.agent.containerizer.LaunchException;
import dev.tower.agent.containerizer.LaunchSpec;
import dev.tower.api.model.ContainerInfo;
import dev.tower.api.model.TaskInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs container tasks ({@link TaskInfo#container()} of type {@code docker}) in the agent's Docker engine, one
 * container per task, named {@code tower-FRAMEWORK-TASK} and labelled with the task, its framework and the agent (see
 * {@link DockerRunConfig} for what it is created with). The task's sandbox is mounted at
 * {@value ContainerInfo#SANDBOX_MOUNT}, and its stdout and stderr are copied from the engine's logs to the sandbox's
 * {@code stdout} and {@code stderr} ({@link LogCopier}).
 *
 * <p>Containers outlive the agent: an agent restarted on the same work dir finds each task's container again through
 * its checkpoint directory, follows it if it still runs, or reports how it ended if it ended meanwhile, its output
 * copied in full either way. A container is removed once its exit status is recorded and its logs copied. Containers of
 * this agent that no task of it accounts for are removed after recovery ({@link #removeUnknown}).
 */
public final class DockerContainerizer implements Containerizer {
    private static final Logger LOG = LoggerFactory.getLogger(DockerContainerizer.class);
    /** How long a pull may take before the launch fails. */
    static final Duration PULL_TIMEOUT = Duration.ofMinutes(10);

    private final DockerEngine engine;
    private final DockerSettings settings;
    private final ScheduledExecutorService timer;
    private final Supplier<String> agentId;
    private final ExecutorService workers;
    /** Containers this containerizer launched or recovered and has not yet removed, by {@code frameworkId/taskId}. */
    private final Map<String, DockerContainer> containers = new ConcurrentHashMap<>();
    /** Tasks being launched, by {@code frameworkId/taskId}: their containers may exist before they are tracked. */
    private final Set<String> launching = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    DockerContainerizer(DockerEngine engine, DockerSettings settings, ScheduledExecutorService timer,
                        Supplier<String> agentId) {
        this.engine = engine;
        this.settings = settings;
        this.timer = timer;
        this.agentId = agentId;
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "docker-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public String name() {
        return "docker";
    }

    @Override
    public boolean canLaunch(TaskInfo task) {
        return task.container() != null && task.container().type() == ContainerInfo.Type.DOCKER;
    }

    /**
     * Makes sure of the image (per the task's pull policy), creates the container, records it in the checkpoint
     * directory, starts it, and returns once it runs. Blocks for as long as a pull takes.
     */
    @Override
    public Container launch(LaunchSpec spec) throws LaunchException {
        if (closed) {
            throw new LaunchException("the Docker containerizer is closed");
        }
        if (!canLaunch(spec.task())) {
            throw new LaunchException("not a Docker task");
        }
        DockerRunConfig config = DockerRunConfig.of(spec, settings);
        String key = spec.frameworkId() + "/" + spec.task().taskId();
        if (!launching.add(key) || containers.containsKey(key)) {
            launching.remove(key);
            throw new LaunchException("task " + key + " already has a container here");
        }
        try {
            return start(spec, config, key);
        } catch (RuntimeException e) {
            // The engine could not be reached, or answered what docker-java did not expect.
            throw new LaunchException("Docker engine: " + message(e));
        } finally {
            launching.remove(key);
        }
    }

    private DockerContainer start(LaunchSpec spec, DockerRunConfig config, String key) throws LaunchException {
        DockerClient client = engine.client();
        ContainerInfo info = spec.task().container();
        ensureImage(info.image(), info.pullPolicy());
        try {
            Files.createDirectories(spec.checkpointDir());
            Files.createDirectories(spec.sandbox());
            // Left by an earlier task of the same id, they would be taken for this one's.
            for (String name : List.of(CheckpointFiles.CONTAINER, CheckpointFiles.EXIT, CheckpointFiles.LOGS)) {
                Files.deleteIfExists(spec.checkpointDir().resolve(name));
            }
        } catch (IOException e) {
            throw new LaunchException("cannot prepare the task's directories: " + e.getMessage());
        }
        long t0 = System.nanoTime();
        String id = create(config);
        long t1 = System.nanoTime();
        try {
            new CheckpointFiles.ContainerRecord(id, spec.frameworkId(), spec.task().taskId(), spec.sandbox())
                    .write(spec.checkpointDir());
        } catch (IOException e) {
            removeQuietly(id);
            throw new LaunchException("cannot record the container in " + spec.checkpointDir() + ": " + e.getMessage());
        }
        InspectContainerResponse.ContainerState state;
        try {
            client.startContainerCmd(id).exec();
            state = client.inspectContainerCmd(id).exec().getState();
        } catch (RuntimeException e) {
            removeQuietly(id);
            throw new LaunchException("cannot start the container of image " + config.image() + ": " + message(e));
        }
        long t2 = System.nanoTime();
        LOG.info("{} runs in container {} ({}; create {} ms, start {} ms)", key, shortId(id), config.image(),
                (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
        try {
            DockerContainer container = new DockerContainer(this, id, key, pid(state, 0), startedAt(state),
                    spec.checkpointDir(), logCopier(id, spec.sandbox(), spec.checkpointDir()));
            containers.put(key, container);
            container.watch();
            return container;
        } catch (RuntimeException e) {
            removeQuietly(id);
            throw e;
        }
    }

    /** Creates the container; a stopped container of the same task left from before (same name) is replaced. */
    private String create(DockerRunConfig config) throws LaunchException {
        DockerClient client = engine.client();
        for (int attempt = 0; ; attempt++) {
            try {
                CreateContainerResponse created = config.applyTo(client.createContainerCmd(config.image())).exec();
                if (created.getWarnings() != null) {
                    for (String w : created.getWarnings()) {
                        LOG.warn("creating container {}: {}", config.name(), w);
                    }
                }
                return created.getId();
            } catch (ConflictException e) {
                if (attempt > 0 || !removeStale(config)) {
                    throw new LaunchException("cannot create container " + config.name() + ": " + message(e));
                }
            } catch (DockerException e) {
                throw new LaunchException("cannot create a container of image " + config.image() + ": " + message(e));
            }
        }
    }

    /** Removes a stopped container of the same name and task, left by an earlier launch; false if there is none. */
    private boolean removeStale(DockerRunConfig config) {
        InspectContainerResponse old;
        try {
            old = engine.client().inspectContainerCmd(config.name()).exec();
        } catch (DockerException e) {
            return false;
        }
        Map<String, String> labels = old.getConfig() == null || old.getConfig().getLabels() == null ? Map.of()
                : old.getConfig().getLabels();
        boolean sameTask = config.labels().get(DockerRunConfig.LABEL_TASK).equals(labels.get(DockerRunConfig.LABEL_TASK))
                && config.labels().get(DockerRunConfig.LABEL_FRAMEWORK).equals(labels.get(DockerRunConfig.LABEL_FRAMEWORK));
        if (!sameTask || Boolean.TRUE.equals(old.getState().getRunning())) {
            return false;
        }
        LOG.info("removing the stopped container {} left by an earlier launch of the same task", config.name());
        removeQuietly(old.getId());
        return true;
    }

    private void ensureImage(String image, ContainerInfo.PullPolicy policy) throws LaunchException {
        switch (policy) {
            case NEVER -> {
                if (!hasImage(image)) {
                    throw new LaunchException("image " + image + " is not on this agent, and the task's pullPolicy is "
                            + "never");
                }
            }
            case IF_NOT_PRESENT -> {
                if (!hasImage(image)) {
                    pull(image);
                }
            }
            case ALWAYS -> pull(image);
        }
    }

    private boolean hasImage(String image) throws LaunchException {
        try {
            engine.client().inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        } catch (DockerException e) {
            throw new LaunchException("cannot look up image " + image + ": " + message(e));
        }
    }

    private void pull(String image) throws LaunchException {
        ImageRef ref = ImageRef.parse(image);
        String[] error = new String[1];
        ResultCallback.Adapter<PullResponseItem> callback = new ResultCallback.Adapter<>() {
            @Override
            public void onNext(PullResponseItem item) {
                if (item.isErrorIndicated()) {
                    error[0] = item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null
                            ? item.getErrorDetail().getMessage() : item.getError();
                }
            }

            @Override
            public void onError(Throwable t) {
                // Reported as the launch's failure, not logged as docker-java's own error.
                error[0] = t instanceof RuntimeException r ? message(r) : t.toString();
                try {
                    close();
                } catch (IOException e) {
                    LOG.debug("closing the pull of {}: {}", image, e.toString());
                }
            }
        };
        long t0 = System.nanoTime();
        LOG.info("pulling image {}", image);
        try {
            engine.client().pullImageCmd(ref.repository()).withTag(ref.tag()).exec(callback);
            if (!callback.awaitCompletion(PULL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                callback.close();
                throw new LaunchException("pulling image " + image + " took longer than " + PULL_TIMEOUT.toMinutes()
                        + " minutes");
            }
        } catch (DockerException e) {
            throw new LaunchException("cannot pull image " + image + ": " + message(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LaunchException("interrupted while pulling image " + image);
        } catch (IOException e) {
            throw new LaunchException("cannot pull image " + image + ": " + e.getMessage());
        } catch (RuntimeException e) {
            // awaitCompletion rethrows what the stream failed with.
            throw new LaunchException("cannot pull image " + image + ": " + e.getMessage());
        }
        if (error[0] != null) {
            throw new LaunchException("cannot pull image " + image + ": " + error[0]);
        }
        if (!hasImage(image)) {
            throw new LaunchException("pulled image " + image + ", but the engine does not have it");
        }
        LOG.info("pulled image {} in {} ms", image, (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * The task's container, found through the record in its checkpoint directory. A running one is followed again
     * (from where its logs were copied up to); one that ended is reported with its exit status, its logs copied to the
     * end, and removed; one that is gone is reported with the exit status recorded before its removal, if there is one.
     */
    @Override
    public Optional<Container> recover(TaskInfo task, Path checkpointDir, long pid, Instant startedAt) {
        if (!canLaunch(task)) {
            return Optional.empty();
        }
        Optional<CheckpointFiles.ContainerRecord> record;
        try {
            record = CheckpointFiles.ContainerRecord.read(checkpointDir);
        } catch (UncheckedIOException e) {
            LOG.warn("cannot read the container record of task {} in {}: {}", task.taskId(), checkpointDir, e.toString());
            return Optional.empty();
        }
        if (record.isEmpty()) {
            LOG.warn("task {} has no container recorded in {}", task.taskId(), checkpointDir);
            return Optional.empty();
        }
        CheckpointFiles.ContainerRecord r = record.get();
        String key = r.frameworkId() + "/" + r.taskId();
        InspectContainerResponse inspected;
        try {
            inspected = engine.client().inspectContainerCmd(r.containerId()).exec();
        } catch (NotFoundException e) {
            Optional<CheckpointFiles.ExitRecord> exit = readExit(checkpointDir);
            if (exit.isEmpty()) {
                LOG.warn("the container {} of {} is gone, and how it ended was not recorded", shortId(r.containerId()),
                        key);
                return Optional.empty();
            }
            LOG.info("the container {} of {} ended and was removed while the agent was down", shortId(r.containerId()),
                    key);
            return Optional.of(ended(r, pid, startedAt, checkpointDir, exitOf(exit.get())));
        } catch (RuntimeException e) {
            LOG.warn("cannot look up the container {} of {}: {}", shortId(r.containerId()), key, message(e));
            return Optional.empty();
        }
        InspectContainerResponse.ContainerState state = inspected.getState();
        Optional<Instant> started = startedAt(state);
        if (Boolean.TRUE.equals(state.getRunning())) {
            DockerContainer c = new DockerContainer(this, r.containerId(), key, pid(state, pid),
                    started.or(() -> Optional.ofNullable(startedAt)), checkpointDir,
                    logCopier(r.containerId(), r.sandbox(), checkpointDir));
            containers.put(key, c);
            c.watch();
            LOG.info("following container {} of {} again", c.shortId(), key);
            return Optional.of(c);
        }
        if ("created".equals(state.getStatus())) {
            LOG.warn("the container {} of {} was created but never started; removing it", shortId(r.containerId()), key);
            removeQuietly(r.containerId());
            return Optional.empty();
        }
        ContainerExit exit = recordExit(checkpointDir, state, false);
        logCopier(r.containerId(), r.sandbox(), checkpointDir).copyRest();
        LOG.info("the container {} of {} ended while the agent was down: exit status {}{}", shortId(r.containerId()),
                key, exit.exitCode(), exit.failure() == null ? "" : " (" + exit.failure() + ")");
        removeQuietly(r.containerId());
        return Optional.of(ended(r, pid, started.orElse(startedAt), checkpointDir, exit));
    }

    private Container ended(CheckpointFiles.ContainerRecord r, long pid, Instant startedAt, Path checkpointDir,
                            ContainerExit exit) {
        return new Container() {
            @Override
            public long pid() {
                return pid;
            }

            @Override
            public Optional<Instant> startedAt() {
                return Optional.ofNullable(startedAt);
            }

            @Override
            public CompletableFuture<ContainerExit> exit() {
                return CompletableFuture.completedFuture(exit);
            }

            @Override
            public void kill(Duration gracePeriod) {
            }

            @Override
            public String toString() {
                return "ended container " + r.containerId() + " in " + checkpointDir;
            }
        };
    }

    /**
     * Removes (by force) every container labelled with this agent's id that no task of it accounts for: its task is
     * unknown to the agent, or known but not running in it (an agent that stopped while launching it, say).
     */
    @Override
    public void removeUnknown(Set<String> knownTasks) {
        String agent = agentId.get();
        if (agent == null) {
            LOG.debug("no agent id yet: no containers of this agent to look for");
            return;
        }
        List<com.github.dockerjava.api.model.Container> found;
        try {
            found = engine.client().listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(DockerRunConfig.LABEL_AGENT, agent)).exec();
        } catch (RuntimeException e) {
            LOG.warn("cannot list the containers of this agent: {}", message(e));
            return;
        }
        for (com.github.dockerjava.api.model.Container c : found) {
            Map<String, String> labels = c.getLabels() == null ? Map.of() : c.getLabels();
            String key = labels.get(DockerRunConfig.LABEL_FRAMEWORK) + "/" + labels.get(DockerRunConfig.LABEL_TASK);
            if (containers.containsKey(key) || launching.contains(key)) {
                continue;
            }
            String why = knownTasks.contains(key) ? "its task is known but does not run in it" : "its task is unknown";
            LOG.warn("removing container {} ({}, {}) of task {}: {}", shortId(c.getId()), name(c), c.getState(), key,
                    why);
            removeQuietly(c.getId());
        }
    }

    /** Stops watching containers and closes the connection to the engine; the containers run on. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        containers.values().forEach(DockerContainer::detach);
        containers.clear();
        workers.shutdownNow();
        engine.close();
    }

    // --- for DockerContainer ---

    DockerEngine engine() {
        return engine;
    }

    /** Runs {@code r} on a worker after {@code delay}, unless the agent (and its timer) stopped meanwhile. */
    void later(Runnable r, Duration delay) {
        try {
            timer.schedule(() -> background(r), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debug("the agent's timer stopped: not running {}", r);
        }
    }

    /** Runs {@code r} on the agent's timer every {@code period}, until cancelled or the timer stops. */
    Future<?> every(Runnable r, Duration period) {
        try {
            return timer.scheduleWithFixedDelay(r, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debug("the agent's timer stopped: not running {}", r);
            return CompletableFuture.completedFuture(null);
        }
    }

    boolean isClosed() {
        return closed;
    }

    void background(Runnable r) {
        try {
            workers.execute(r);
        } catch (RejectedExecutionException e) {
            LOG.debug("closed: not running {}", r);
        }
    }

    /**
     * Reads how the container ended from its state, and records it before the container may be removed.
     *
     * @param oomSeen whether the agent saw the kernel OOM-kill a process in the container's cgroup: the container
     *                fails for its memory then, whatever the engine's {@code OOMKilled} says
     */
    ContainerExit recordExit(Path checkpointDir, InspectContainerResponse.ContainerState state, boolean oomSeen) {
        Long code = state.getExitCodeLong();
        boolean oom = oomSeen || Boolean.TRUE.equals(state.getOOMKilled());
        if (code != null) {
            try {
                new CheckpointFiles.ExitRecord(code, oom).write(checkpointDir);
            } catch (IOException e) {
                LOG.warn("cannot record the exit status in {}: {}", checkpointDir, e.toString());
            }
        }
        return exitOf(code, oom);
    }

    /** The exit a previous run recorded for a container that is gone. */
    ContainerExit recordedExit(Path checkpointDir, String containerId) {
        return readExit(checkpointDir).map(DockerContainerizer::exitOf)
                .orElseGet(() -> new ContainerExit(null, "container " + shortId(containerId)
                        + " disappeared before it was seen to end (removed outside Tower?)"));
    }

    /** Removes an ended container whose exit has been recorded and whose logs have been copied. */
    void remove(DockerContainer c) {
        removeQuietly(c.id());
        containers.remove(c.key(), c);
    }

    private static Optional<CheckpointFiles.ExitRecord> readExit(Path checkpointDir) {
        try {
            return CheckpointFiles.ExitRecord.read(checkpointDir);
        } catch (UncheckedIOException e) {
            LOG.warn("cannot read the exit record in {}: {}", checkpointDir, e.toString());
            return Optional.empty();
        }
    }

    private static ContainerExit exitOf(CheckpointFiles.ExitRecord r) {
        return exitOf(r.exitCode(), r.oomKilled());
    }

    private static ContainerExit exitOf(Long code, boolean oomKilled) {
        Integer status = code == null ? null : (int) (long) code;
        return new ContainerExit(status, oomKilled ? ContainerExit.MEMORY_LIMIT : null);
    }

    private LogCopier logCopier(String id, Path sandbox, Path checkpointDir) {
        return new LogCopier(engine.http(), id, sandbox, checkpointDir, timer, () -> isRunning(id));
    }

    private boolean isRunning(String id) {
        try {
            return Boolean.TRUE.equals(engine.client().inspectContainerCmd(id).exec().getState().getRunning());
        } catch (NotFoundException e) {
            return false;
        } catch (RuntimeException e) {
            return !closed;
        }
    }

    private void removeQuietly(String id) {
        try {
            engine.client().removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException e) {
            LOG.debug("container {} was already removed", shortId(id));
        } catch (DockerException e) {
            if (e.getHttpStatus() == 409) {
                // Removal already under way (a second remove while the engine removes it).
                LOG.debug("container {} is being removed", shortId(id));
            } else {
                LOG.warn("cannot remove container {}: {}", shortId(id), message(e));
            }
        } catch (RuntimeException e) {
            LOG.warn("cannot remove container {}: {}", shortId(id), e.toString());
        }
    }

    private static long pid(InspectContainerResponse.ContainerState state, long otherwise) {
        Long pid = state.getPidLong();
        return pid == null || pid <= 0 ? otherwise : pid;
    }

    private static Optional<Instant> startedAt(InspectContainerResponse.ContainerState state) {
        String s = state.getStartedAt();
        if (s == null || s.startsWith("0001-")) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(s));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static String name(com.github.dockerjava.api.model.Container c) {
        return c.getNames() == null || c.getNames().length == 0 ? "unnamed" : c.getNames()[0].replaceFirst("^/", "");
    }

    static String shortId(String id) {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }

    /** The engine's message, without docker-java's "Status 404: " and JSON wrapping. */
    static String message(RuntimeException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        int brace = m.indexOf("{\"message\":\"");
        if (brace >= 0) {
            int start = brace + "{\"message\":\"".length();
            int end = m.indexOf("\"}", start);
            if (end > start) {
                return m.substring(start, end).replace("\\\"", "\"");
            }
        }
        return m.replaceFirst("^Status \\d+: ", "").strip();
    }
}
