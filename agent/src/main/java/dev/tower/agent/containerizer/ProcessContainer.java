package dev.tower.agent.containerizer;

import dev.tower.agent.isolation.TaskIsolation;
import dev.tower.agent.isolation.TaskUsage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A task running as a process group led by {@link #pid()}. When the leader ends, whatever it left behind in the group is
 * killed.
 */
final class ProcessContainer implements Container {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessContainer.class);

    private final long pgid;
    private final Optional<Instant> startedAt;
    private final ScheduledExecutorService timer;
    private final CompletableFuture<ContainerExit> exit;
    private final TaskIsolation isolation;
    private ScheduledFuture<?> forceKill;
    private Instant forceAt;

    /**
     * @param leaderExit the leader's exit status once it has ended; null when it cannot be known
     * @param groupStillOurs asked once the leader has ended: whether the process group {@code pgid} can still only be
     *                       the task's (false once its number may have been reused by someone else's)
     * @param isolation the task's limits: a task that goes over its memory is killed whole and fails with
     *                  {@link ContainerExit#MEMORY_LIMIT}, whatever its exit status; released once the task ended
     */
    ProcessContainer(long pgid, Optional<Instant> startedAt, CompletableFuture<Integer> leaderExit,
                     BooleanSupplier groupStillOurs, ScheduledExecutorService timer, TaskIsolation isolation) {
        this.pgid = pgid;
        this.startedAt = startedAt;
        this.timer = timer;
        this.isolation = isolation;
        this.exit = leaderExit.thenApply(code -> {
            // Children left behind by the main process would otherwise hold the task's ports and files forever.
            if (groupStillOurs.getAsBoolean()) {
                ProcessGroup.signal(pgid, ProcessGroup.Signal.KILL);
            }
            cancelForceKill();
            // Asked again now: the task may have gone over and ended between two checks of the watch.
            String failure = isolation.memoryExceeded() ? ContainerExit.MEMORY_LIMIT : null;
            isolation.release();
            return new ContainerExit(code, failure);
        });
        if (!exit.isDone()) {
            isolation.watch(pgid, this::memoryExceeded);
        }
    }

    /** Any process of the task was killed for memory: the task is broken, so all of it ends now, as Mesos does. */
    private void memoryExceeded() {
        LOG.info("process group {} went over its memory limit; killing it", pgid);
        ProcessGroup.signal(pgid, ProcessGroup.Signal.KILL);
    }

    @Override
    public Optional<TaskUsage> usage() {
        return exit.isDone() ? Optional.empty() : isolation.usage();
    }

    @Override
    public long pid() {
        return pgid;
    }

    @Override
    public Optional<Instant> startedAt() {
        return startedAt;
    }

    @Override
    public CompletableFuture<ContainerExit> exit() {
        return exit;
    }

    @Override
    public synchronized void kill(Duration gracePeriod) {
        if (exit.isDone()) {
            return;
        }
        Instant at = Instant.now().plus(gracePeriod);
        if (forceAt != null && !at.isBefore(forceAt)) {
            return;
        }
        if (forceAt == null) {
            ProcessGroup.signal(pgid, ProcessGroup.Signal.TERM);
        } else {
            forceKill.cancel(false);
        }
        forceAt = at;
        forceKill = timer.schedule(() -> {
            if (!exit.isDone()) {
                LOG.info("process group {} outlived its {} ms grace period; sending SIGKILL", pgid, gracePeriod.toMillis());
                ProcessGroup.signal(pgid, ProcessGroup.Signal.KILL);
            }
        }, Math.max(0, gracePeriod.toMillis()), TimeUnit.MILLISECONDS);
    }

    private synchronized void cancelForceKill() {
        if (forceKill != null) {
            forceKill.cancel(false);
        }
    }
}
