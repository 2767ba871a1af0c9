package dev.tower.agent.isolation;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The memory cgroup of a process, and how many times the kernel OOM-killed a process in it: {@code oom_kill} in
 * {@code memory.events} (v2) or in {@code memory.oom_control} (v1). The task cgroups this agent creates and the
 * containers a Docker engine creates are read the same way: the kernel kills one process of a group over its limit,
 * not the group, and a shell whose child was killed may carry on and exit 0, so the counter is what tells.
 */
public final class MemoryCgroup {
    private static final Path MOUNT_ROOT = Path.of("/sys/fs/cgroup");
    private static final Path PROC = Path.of("/proc");

    private final ControlFiles files;

    private MemoryCgroup(Path dir) {
        this.files = new ControlFiles(dir);
    }

    /** The memory cgroup {@code pid} is in now, if the machine has one this process can see. */
    public static Optional<MemoryCgroup> of(long pid) {
        return of(PROC.resolve(Long.toString(pid)).resolve("cgroup"), MOUNT_ROOT);
    }

    /**
     * @param procCgroup a process's {@code /proc/PID/cgroup}
     * @param mountRoot where the hierarchies are mounted: {@code /sys/fs/cgroup}
     */
    static Optional<MemoryCgroup> of(Path procCgroup, Path mountRoot) {
        Map<String, String> paths = CgroupDetection.ownPaths(procCgroup);
        Path dir;
        if (paths.containsKey(CgroupsV1.MEMORY) && Files.isDirectory(mountRoot.resolve(CgroupsV1.MEMORY))) {
            dir = mountRoot.resolve(CgroupsV1.MEMORY).resolve(relative(paths.get(CgroupsV1.MEMORY)));
        } else if (paths.containsKey("") && Files.isRegularFile(mountRoot.resolve("cgroup.controllers"))) {
            dir = mountRoot.resolve(relative(paths.get(""))); // v2: the line "0::/path"
        } else {
            return Optional.empty();
        }
        return Files.isDirectory(dir) ? Optional.of(new MemoryCgroup(dir)) : Optional.empty();
    }

    public Path dir() {
        return files.dir();
    }

    /** OOM kills counted so far; 0 once the cgroup is gone (or on kernels older than 4.13, which do not count them). */
    public long oomKills() {
        return oomKills(files);
    }

    /** v2's {@code memory.events}, else v1's {@code memory.oom_control}. */
    static long oomKills(ControlFiles memory) {
        return memory.keyed("memory.events", "oom_kill")
                .orElseGet(() -> memory.keyed("memory.oom_control", "oom_kill").orElse(0));
    }

    private static String relative(String cgroupPath) {
        return cgroupPath.replaceAll("^/+", "");
    }

    @Override
    public String toString() {
        return dir().toString();
    }
}
