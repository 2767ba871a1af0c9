package dev.tower.agent.isolation;

import dev.tower.api.model.Resources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The fallback when the agent may not write cgroups: a task whose process group's resident memory goes over its
 * {@code mem} is killed, polled from {@code /proc}. CPU is not limited. Virtual memory rlimits ({@code ulimit -v}) are
 * not used: a JVM reserves far more address space than it touches, so a limit at the task's {@code mem} would stop
 * Spark executors and YARN NodeManagers from starting at all.
 */
final class WatchdogIsolator implements Isolator {
    private static final Logger LOG = LoggerFactory.getLogger(WatchdogIsolator.class);
    private static final long MB = 1024L * 1024;

    private final String whyNoCgroups;
    private final ScheduledExecutorService timer;
    private final Duration poll;
    private final Path proc;

    WatchdogIsolator(String whyNoCgroups, ScheduledExecutorService timer, Duration poll, Path proc) {
        this.whyNoCgroups = whyNoCgroups;
        this.timer = timer;
        this.poll = poll;
        this.proc = proc;
    }

    @Override
    public String description() {
        return whyNoCgroups + "; process tasks get no CPU limit, and a memory watchdog kills a task whose resident "
                + "memory goes over its mem";
    }

    @Override
    public TaskIsolation isolate(String name, Resources resources) {
        return new Task(name, (long) (resources.scalar(Resources.MEM) * MB));
    }

    @Override
    public Optional<TaskIsolation> reattach(String name, Resources resources) {
        return Optional.of(isolate(name, resources));
    }

    private final class Task implements TaskIsolation {
        private final String name;
        private final long limitBytes;
        private final AtomicBoolean exceeded = new AtomicBoolean();
        private volatile long pgid;
        private ScheduledFuture<?> watching;
        /** Set once the task ended: a watch asked for afterwards (the task ended at once) must not start. */
        private boolean released;

        Task(String name, long limitBytes) {
            this.name = name;
            this.limitBytes = limitBytes;
        }

        @Override
        public synchronized void watch(long group, Runnable onMemoryExceeded) {
            pgid = group;
            if (limitBytes <= 0 || released) {
                return;
            }
            watching = timer.scheduleWithFixedDelay(() -> {
                long rss = ProcessGroupUsage.of(proc, group).memoryBytes();
                if (rss > limitBytes && !exceeded.getAndSet(true)) {
                    LOG.info("task {}: resident memory {} bytes is over its limit of {}", name, rss, limitBytes);
                    release();
                    onMemoryExceeded.run();
                }
            }, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public boolean memoryExceeded() {
            return exceeded.get();
        }

        @Override
        public Optional<TaskUsage> usage() {
            return pgid == 0 ? Optional.empty() : Optional.of(ProcessGroupUsage.of(proc, pgid));
        }

        @Override
        public synchronized void release() {
            released = true;
            if (watching != null) {
                watching.cancel(false);
            }
        }
    }
}
