package dev.tower.agent.isolation;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** Task cgroups in the unified (v2) hierarchy: one directory per task, with the cpu, memory and pids controllers. */
final class CgroupsV2 implements Cgroups {
    private static final Logger LOG = LoggerFactory.getLogger(CgroupsV2.class);
    private static final long CFS_PERIOD_US = CgroupsV1.CFS_PERIOD_US;
    private static final long MIN_QUOTA_US = 1000;

    private final Path base;

    /** @param base this agent's directory, with the controllers already enabled for its children */
    CgroupsV2(Path base) {
        this.base = base;
    }

    @Override
    public String describe() {
        return "cgroups v2 under " + base;
    }

    @Override
    public TaskCgroup create(String name, TaskLimits limits) throws IsolationException {
        remove(name);
        Path dir = base.resolve(name);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IsolationException("cannot create cgroup " + dir + ": " + e.getMessage());
        }
        ControlFiles files = new ControlFiles(dir);
        try {
            limit(files, limits);
        } catch (IsolationException e) {
            remove(name);
            throw e;
        }
        return new Task(files);
    }

    private static void limit(ControlFiles files, TaskLimits limits) throws IsolationException {
        if (limits.cpus() > 0) {
            // cpu.shares' 1024 per CPU on v2's 1..10000 weight scale, as the kernel and runc convert it.
            long shares = Math.max(2, Math.round(limits.cpus() * 1024));
            files.write("cpu.weight", Long.toString(1 + ((shares - 2) * 9999) / 262142));
            files.write("cpu.max", Math.max(MIN_QUOTA_US, Math.round(limits.cpus() * CFS_PERIOD_US)) + " " + CFS_PERIOD_US);
        }
        if (limits.memBytes() > 0) {
            files.write("memory.max", Long.toString(limits.memBytes()));
            if (files.has("memory.swap.max")) {
                files.write("memory.swap.max", "0");
            }
        }
        if (limits.pidsMax() > 0 && files.has("pids.max")) {
            files.write("pids.max", Long.toString(limits.pidsMax()));
        }
    }

    @Override
    public Optional<TaskCgroup> find(String name) {
        Path dir = base.resolve(name);
        return Files.isDirectory(dir) ? Optional.of(new Task(new ControlFiles(dir))) : Optional.empty();
    }

    @Override
    public Set<String> names() {
        Set<String> out = new TreeSet<>();
        try (Stream<Path> children = Files.list(base)) {
            children.filter(Files::isDirectory).forEach(p -> out.add(p.getFileName().toString()));
        } catch (IOException e) {
            LOG.warn("cannot list the task cgroups in {}: {}", base, e.toString());
        }
        return out;
    }

    @Override
    public void remove(String name) {
        try {
            CgroupRemoval.remove(List.of(base.resolve(name)));
        } catch (IOException e) {
            LOG.warn("cannot remove cgroup {}: {}", name, e.toString());
        }
    }

    @Override
    public void close() {
        for (Path dir : List.of(base)) {
            try {
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                LOG.debug("leaving {}: {}", dir, e.toString()); // task cgroups still in it
            }
        }
    }

    private record Task(ControlFiles files) implements TaskCgroup {
        @Override
        public List<Path> procsFiles() {
            return List.of(files.dir().resolve("cgroup.procs"));
        }

        @Override
        public List<Path> dirs() {
            return List.of(files.dir());
        }

        @Override
        public long oomKills() {
            return MemoryCgroup.oomKills(files);
        }

        @Override
        public TaskUsage usage() {
            return new TaskUsage(files.keyed("cpu.stat", "usage_usec").orElse(0) / 1e6,
                    files.number("memory.current").orElse(0),
                    files.keyed("cpu.stat", "nr_throttled").orElse(0),
                    files.keyed("cpu.stat", "throttled_usec").orElse(0) / 1e6);
        }
    }
}
