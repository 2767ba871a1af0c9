package dev.tower.agent.isolation;

import dev.tower.api.model.Resources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * Limits each task with a cgroup of its own, and ends a task in which the kernel OOM-killed any process: the kernel
 * kills one process, not the task, and a shell whose child was killed carries on (and may exit 0), while the task is
 * broken. Mesos fails the whole task the same way.
 */
public final class CgroupIsolator implements Isolator {
    private static final Logger LOG = LoggerFactory.getLogger(CgroupIsolator.class);

    private final Cgroups cgroups;
    private final long pidsMax;
    private final ScheduledExecutorService timer;
    private final Duration poll;

    /** @param poll how often the OOM counter of a running task is read */
    public CgroupIsolator(Cgroups cgroups, long pidsMax, ScheduledExecutorService timer, Duration poll) {
        this.cgroups = cgroups;
        this.pidsMax = pidsMax;
        this.timer = timer;
        this.poll = poll;
    }

    @Override
    public String description() {
        return cgroups.describe() + ", at most " + (pidsMax == 0 ? "unlimited" : pidsMax) + " pids per task";
    }

    @Override
    public TaskIsolation isolate(String name, Resources resources) throws IsolationException {
        return new Task(name, cgroups.create(name, TaskLimits.of(resources, pidsMax)));
    }

    @Override
    public Optional<TaskIsolation> reattach(String name, Resources resources) {
        return cgroups.find(name).map(cg -> new Task(name, cg));
    }

    @Override
    public void removeUnknown(Set<String> known) {
        for (String name : cgroups.names().stream().filter(n -> !known.contains(n)).collect(Collectors.toList())) {
            LOG.info("removing cgroup {} of a task this agent does not know", name);
            cgroups.remove(name);
        }
    }

    @Override
    public void close() {
        cgroups.close();
    }

    private final class Task implements TaskIsolation {
        private final String name;
        private final TaskCgroup cgroup;
        private final AtomicBoolean exceeded = new AtomicBoolean();
        private ScheduledFuture<?> watching;
        /** Set once the task ended: a watch asked for afterwards (the task ended at once) must not start. */
        private boolean released;

        Task(String name, TaskCgroup cgroup) {
            this.name = name;
            this.cgroup = cgroup;
        }

        @Override
        public List<Path> joinFiles() {
            return cgroup.procsFiles();
        }

        @Override
        public synchronized void watch(long pgid, Runnable onMemoryExceeded) {
            if (released) {
                return;
            }
            watching = timer.scheduleWithFixedDelay(() -> {
                if (memoryExceeded()) {
                    stopWatching();
                    onMemoryExceeded.run();
                }
            }, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public boolean memoryExceeded() {
            // The cgroup is new for each task, so any OOM kill counted in it is this task's.
            if (!exceeded.get() && cgroup.oomKills() > 0) {
                exceeded.set(true);
                LOG.info("cgroup {}: a process of the task was OOM-killed", name);
            }
            return exceeded.get();
        }

        @Override
        public Optional<TaskUsage> usage() {
            return Optional.of(cgroup.usage());
        }

        @Override
        public void release() {
            stopWatching();
            cgroups.remove(name);
        }

        private synchronized void stopWatching() {
            released = true;
            if (watching != null) {
                watching.cancel(false);
            }
        }
    }
}
