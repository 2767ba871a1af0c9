package dev.tower.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.WaitResponse;
import dev.tower.agent.containerizer.Container;
import dev.tower.agent.containerizer.ContainerExit;
import dev.tower.agent.isolation.MemoryCgroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * A task's Docker container. Its end is learnt by waiting on the engine; then the exit status is recorded in the
 * checkpoint directory, the rest of its logs copied, the container removed, and the exit reported.
 *
 * <p>While it runs, the OOM-kill counter of its memory cgroup is read every {@link #OOM_POLL}: the kernel kills one
 * process of a container over its memory limit, not the container, and a shell whose child was killed carries on and
 * may exit 0. The engine's own {@code OOMKilled} flag misses such a kill at times (its OOM event can reach the engine
 * after the container's exit), so a container in which the kernel killed anything for memory is stopped at once and
 * its task fails with {@link ContainerExit#MEMORY_LIMIT}, as a process task under cgroup isolation does.
 */
final class DockerContainer implements Container {
    private static final Logger LOG = LoggerFactory.getLogger(DockerContainer.class);
    /** How long the logs of an ended container may take to arrive before its exit is reported anyway. */
    static final Duration LOG_DRAIN_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration WAIT_RETRY = Duration.ofSeconds(1);
    /** How often a running container's memory cgroup is read for OOM kills. */
    static final Duration OOM_POLL = Duration.ofMillis(200);

    private final DockerContainerizer owner;
    private final String id;
    private final String key;
    private final long pid;
    private final Optional<Instant> startedAt;
    private final Path checkpointDir;
    private final LogCopier logs;
    private final CompletableFuture<ContainerExit> exit = new CompletableFuture<>();
    /** When the running stop call kills the container at the latest. Guarded by this. */
    private Instant stopDeadline;
    private Closeable waiting;
    private volatile boolean detached;
    /** The container's memory cgroup, found once it runs; null when this agent cannot see it. */
    private volatile MemoryCgroup memory;
    /** Set once a process of the container was OOM-killed. */
    private volatile boolean oomKilled;
    /** The periodic read of the OOM counter. Guarded by this. */
    private Future<?> oomWatch;

    DockerContainer(DockerContainerizer owner, String id, String key, long pid, Optional<Instant> startedAt,
                    Path checkpointDir, LogCopier logs) {
        this.owner = owner;
        this.id = id;
        this.key = key;
        this.pid = pid;
        this.startedAt = startedAt;
        this.checkpointDir = checkpointDir;
        this.logs = logs;
    }

    /** The engine's id of the container. */
    String id() {
        return id;
    }

    /** {@code frameworkId/taskId}. */
    String key() {
        return key;
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public Optional<Instant> startedAt() {
        return startedAt;
    }

    @Override
    public CompletableFuture<ContainerExit> exit() {
        return exit;
    }

    /**
     * {@code docker stop} with the grace period in whole seconds (rounded up): the image's stop signal (SIGTERM unless
     * it says otherwise) to the container's main process, SIGKILL once the period is over. A second kill with a period
     * that ends sooner sends another stop, whose SIGKILL comes first.
     */
    @Override
    public void kill(Duration gracePeriod) {
        Duration grace = gracePeriod.isNegative() ? Duration.ZERO : gracePeriod;
        int seconds = (int) Math.min(Integer.MAX_VALUE, (grace.toMillis() + 999) / 1000);
        synchronized (this) {
            if (exit.isDone()) {
                return;
            }
            Instant deadline = Instant.now().plusSeconds(seconds);
            if (stopDeadline != null && !deadline.isBefore(stopDeadline)) {
                return;
            }
            stopDeadline = deadline;
        }
        LOG.info("stopping container {} of {} (SIGKILL after {} s)", shortId(), key, seconds);
        owner.background(() -> {
            try {
                owner.engine().client().stopContainerCmd(id).withTimeout(seconds).exec();
            } catch (NotModifiedException | NotFoundException e) {
                LOG.debug("container {} had already stopped", shortId());
            } catch (RuntimeException e) {
                if (!owner.isClosed()) {
                    LOG.warn("cannot stop container {} of {}: {}", shortId(), key, e.toString());
                }
            }
        });
    }

    /** Follows the logs, watches the memory cgroup for OOM kills, and waits for the container to end. */
    void watch() {
        logs.follow();
        watchMemory();
        awaitEnd();
    }

    private void watchMemory() {
        memory = pid > 0 ? MemoryCgroup.of(pid).orElse(null) : null;
        if (memory == null) {
            LOG.debug("no memory cgroup of container {} in sight: only the engine's OOMKilled flag tells", shortId());
            return;
        }
        synchronized (this) {
            if (!exit.isDone() && !detached) {
                oomWatch = owner.every(this::checkMemory, OOM_POLL);
            }
        }
    }

    /** A process of the container was OOM-killed: the task is broken, so the whole container ends now. */
    private void checkMemory() {
        if (oomKilled || !sawOomKill()) {
            return;
        }
        stopMemoryWatch();
        LOG.info("the kernel OOM-killed a process in container {} of {}; stopping it", shortId(), key);
        kill(Duration.ZERO);
    }

    /** Reads the counter (while the cgroup exists: the engine removes it once the container stopped). */
    private boolean sawOomKill() {
        MemoryCgroup m = memory;
        if (!oomKilled && m != null && m.oomKills() > 0) {
            oomKilled = true;
        }
        return oomKilled;
    }

    private synchronized void stopMemoryWatch() {
        if (oomWatch != null) {
            oomWatch.cancel(false);
            oomWatch = null;
        }
    }

    private void awaitEnd() {
        if (detached) {
            return;
        }
        ResultCallback.Adapter<WaitResponse> callback = new ResultCallback.Adapter<>() {
            private volatile boolean ended;

            @Override
            public void onNext(WaitResponse r) {
                ended = true;
            }

            @Override
            public void onError(Throwable t) {
                if (detached || owner.isClosed()) {
                    return;
                }
                if (t instanceof NotFoundException) {
                    owner.background(DockerContainer.this::ended);
                    return;
                }
                LOG.warn("waiting for container {} of {} failed ({}); waiting again in {} ms", shortId(), key,
                        t.toString(), WAIT_RETRY.toMillis());
                owner.later(DockerContainer.this::awaitEnd, WAIT_RETRY);
            }

            @Override
            public void onComplete() {
                if (detached || owner.isClosed()) {
                    return;
                }
                if (ended) {
                    owner.background(DockerContainer.this::ended);
                } else {
                    owner.later(DockerContainer.this::awaitEnd, WAIT_RETRY);
                }
            }
        };
        synchronized (this) {
            waiting = callback;
        }
        try {
            owner.engine().client().waitContainerCmd(id).exec(callback);
        } catch (RuntimeException e) {
            callback.onError(e);
        }
    }

    /**
     * The container stopped: its status (from the engine, or the record a previous agent left if the container is
     * gone), the rest of its logs, the exit, then the container's removal.
     */
    private void ended() {
        // Read once more: a kill just before the end may have come after the last read, if the cgroup is still there.
        boolean oom = sawOomKill();
        ContainerExit result;
        try {
            InspectContainerResponse.ContainerState state = owner.engine().client().inspectContainerCmd(id).exec()
                    .getState();
            if (Boolean.TRUE.equals(state.getRunning())) {
                LOG.warn("container {} of {} runs again after it stopped; waiting for it again", shortId(), key);
                awaitEnd();
                return;
            }
            stopMemoryWatch();
            result = owner.recordExit(checkpointDir, state, oom);
        } catch (NotFoundException e) {
            stopMemoryWatch();
            result = owner.recordedExit(checkpointDir, id);
        } catch (RuntimeException e) {
            if (detached || owner.isClosed()) {
                return;
            }
            LOG.warn("cannot inspect the ended container {} of {} ({}); trying again in {} ms", shortId(), key,
                    e.toString(), WAIT_RETRY.toMillis());
            owner.later(this::ended, WAIT_RETRY);
            return;
        }
        logs.finish(LOG_DRAIN_TIMEOUT);
        if (detached) {
            return;
        }
        LOG.info("container {} of {} ended: exit status {}{}", shortId(), key, result.exitCode(),
                result.failure() == null ? "" : " (" + result.failure() + ")");
        // Removed before the exit is reported, as a process task's leftovers are killed first: once the agent reports
        // the task ended, nothing of it holds the machine (the exit status is recorded, should the agent stop here).
        owner.remove(this);
        exit.complete(result);
    }

    /** Stops watching (the agent stops); the container runs on. */
    void detach() {
        detached = true;
        stopMemoryWatch();
        Closeable w;
        synchronized (this) {
            w = waiting;
        }
        if (w != null) {
            try {
                w.close();
            } catch (IOException e) {
                LOG.debug("closing the wait for container {}: {}", shortId(), e.toString());
            }
        }
        logs.close();
    }

    String shortId() {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }
}
