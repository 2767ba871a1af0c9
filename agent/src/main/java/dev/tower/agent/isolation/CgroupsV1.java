package dev.tower.agent.isolation;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Task cgroups in the v1 hierarchies: one directory per controller ({@code cpu}, {@code cpuacct}, {@code memory},
 * {@code pids} when the kernel has it), each under this agent's base directory in that hierarchy.
 */
final class CgroupsV1 implements Cgroups {
    private static final Logger LOG = LoggerFactory.getLogger(CgroupsV1.class);
    static final String CPU = "cpu";
    static final String CPUACCT = "cpuacct";
    static final String MEMORY = "memory";
    static final String PIDS = "pids";
    /** The CFS period; the quota is a share of it. 100 ms is the kernel's default and what Mesos uses. */
    static final long CFS_PERIOD_US = 100_000;
    /** The kernel's smallest quota. */
    private static final long MIN_QUOTA_US = 1000;
    private static final long SHARES_PER_CPU = 1024;
    private static final long MIN_SHARES = 2;

    /** Controller name → this agent's base directory in it; cpu, cpuacct and memory at least. */
    private final Map<String, Path> bases;

    CgroupsV1(Map<String, Path> bases) {
        for (String c : List.of(CPU, CPUACCT, MEMORY)) {
            if (!bases.containsKey(c)) {
                throw new IllegalArgumentException("no " + c + " hierarchy in " + bases);
            }
        }
        this.bases = new LinkedHashMap<>(bases);
    }

    @Override
    public String describe() {
        return "cgroups v1 (" + String.join(", ", bases.keySet()) + ") under " + bases.values();
    }

    @Override
    public TaskCgroup create(String name, TaskLimits limits) throws IsolationException {
        remove(name);
        Map<String, ControlFiles> dirs = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : bases.entrySet()) {
            Path dir = e.getValue().resolve(name);
            try {
                Files.createDirectories(dir);
            } catch (IOException ex) {
                throw new IsolationException("cannot create cgroup " + dir + ": " + ex.getMessage());
            }
            dirs.put(e.getKey(), new ControlFiles(dir));
        }
        Task task = new Task(dirs);
        try {
            task.limit(limits);
        } catch (IsolationException ex) {
            remove(name);
            throw ex;
        }
        return task;
    }

    @Override
    public Optional<TaskCgroup> find(String name) {
        Map<String, ControlFiles> dirs = new LinkedHashMap<>();
        bases.forEach((c, base) -> dirs.put(c, new ControlFiles(base.resolve(name))));
        return Files.isDirectory(dirs.get(MEMORY).dir()) ? Optional.of(new Task(dirs)) : Optional.empty();
    }

    @Override
    public Set<String> names() {
        Set<String> out = new TreeSet<>();
        for (Path base : bases.values()) {
            try (Stream<Path> children = Files.list(base)) {
                children.filter(Files::isDirectory).forEach(p -> out.add(p.getFileName().toString()));
            } catch (IOException e) {
                LOG.warn("cannot list the task cgroups in {}: {}", base, e.toString());
            }
        }
        return out;
    }

    @Override
    public void remove(String name) {
        List<Path> dirs = bases.values().stream().map(b -> b.resolve(name)).toList();
        try {
            CgroupRemoval.remove(dirs);
        } catch (IOException e) {
            LOG.warn("cannot remove cgroup {}: {}", name, e.toString());
        }
    }

    @Override
    public void close() {
        for (Path dir : bases.values()) {
            try {
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                LOG.debug("leaving {}: {}", dir, e.toString()); // task cgroups still in it
            }
        }
    }

    private static final class Task implements TaskCgroup {
        private final Map<String, ControlFiles> dirs;

        Task(Map<String, ControlFiles> dirs) {
            this.dirs = dirs;
        }

        void limit(TaskLimits limits) throws IsolationException {
            ControlFiles cpu = dirs.get(CPU);
            if (limits.cpus() > 0) {
                cpu.write("cpu.shares", Long.toString(Math.max(MIN_SHARES, Math.round(limits.cpus() * SHARES_PER_CPU))));
                cpu.write("cpu.cfs_period_us", Long.toString(CFS_PERIOD_US));
                cpu.write("cpu.cfs_quota_us",
                        Long.toString(Math.max(MIN_QUOTA_US, Math.round(limits.cpus() * CFS_PERIOD_US))));
            }
            ControlFiles memory = dirs.get(MEMORY);
            if (limits.memBytes() > 0) {
                String bytes = Long.toString(limits.memBytes());
                memory.write("memory.limit_in_bytes", bytes);
                // Memory + swap at the same figure: the task gets no swap (set second: it may not be below the first).
                if (memory.has("memory.memsw.limit_in_bytes")) {
                    memory.write("memory.memsw.limit_in_bytes", bytes);
                }
            }
            ControlFiles pids = dirs.get(PIDS);
            if (pids != null && limits.pidsMax() > 0) {
                pids.write("pids.max", Long.toString(limits.pidsMax()));
            }
        }

        @Override
        public List<Path> procsFiles() {
            List<Path> out = new ArrayList<>();
            dirs.values().forEach(d -> out.add(d.dir().resolve("cgroup.procs")));
            return out;
        }

        @Override
        public List<Path> dirs() {
            return dirs.values().stream().map(ControlFiles::dir).toList();
        }

        @Override
        public long oomKills() {
            return MemoryCgroup.oomKills(dirs.get(MEMORY));
        }

        @Override
        public TaskUsage usage() {
            ControlFiles cpu = dirs.get(CPU);
            return new TaskUsage(dirs.get(CPUACCT).number("cpuacct.usage").orElse(0) / 1e9,
                    dirs.get(MEMORY).number("memory.usage_in_bytes").orElse(0),
                    cpu.keyed("cpu.stat", "nr_throttled").orElse(0),
                    cpu.keyed("cpu.stat", "throttled_time").orElse(0) / 1e9);
        }
    }
}
