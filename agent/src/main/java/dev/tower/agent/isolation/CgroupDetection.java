package dev.tower.agent.isolation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the cgroup hierarchy this agent may put its tasks in: v2 when the unified hierarchy is writable and has the
 * cpu and memory controllers, else the v1 hierarchies (cpu, cpuacct, memory; pids if present). Either way the agent
 * creates its base directory {@code tower/<scope>} there, which is also the proof that it may write.
 *
 * <p>In v1 the base goes under the agent's own cgroup in each hierarchy, so a limit put on the agent's service
 * (systemd, a container) still covers its tasks. In v2 it goes under the root: a cgroup with processes in it (the
 * agent's own) may not hand controllers to children.
 */
public final class CgroupDetection {
    static final String AGENT_DIR = "tower";

    private CgroupDetection() {
    }

    /** The hierarchy found, or why none can be used. */
    public record Result(Cgroups cgroups, String whyNot) {
        public Optional<Cgroups> found() {
            return Optional.ofNullable(cgroups);
        }
    }

    /**
     * @param mountRoot where the hierarchies are mounted: {@code /sys/fs/cgroup}
     * @param selfCgroup {@code /proc/self/cgroup}: where this process sits in each hierarchy
     * @param scope this agent's directory name, the same on every start with the same work dir
     */
    public static Result detect(Path mountRoot, Path selfCgroup, String scope) {
        Map<String, String> own = ownPaths(selfCgroup);
        String v2Why = null;
        Optional<Path> unified = unifiedMount(mountRoot);
        if (unified.isPresent()) {
            Set<String> controllers = controllers(unified.get());
            if (controllers.contains("cpu") && controllers.contains("memory") && Files.isWritable(unified.get())) {
                try {
                    return new Result(new CgroupsV2(v2Base(unified.get(), scope, controllers)), null);
                } catch (IOException | IsolationException e) {
                    v2Why = "cgroups v2 at " + unified.get() + " not usable: " + e.getMessage();
                }
            }
        }
        Map<String, Path> bases = new LinkedHashMap<>();
        for (String c : List.of(CgroupsV1.CPU, CgroupsV1.CPUACCT, CgroupsV1.MEMORY, CgroupsV1.PIDS)) {
            Path mount = mountRoot.resolve(c);
            if (!Files.isRegularFile(mount.resolve("cgroup.procs"))) {
                if (!c.equals(CgroupsV1.PIDS)) {
                    return new Result(null, (v2Why == null ? "" : v2Why + "; ") + "no cgroup v1 " + c
                            + " hierarchy at " + mount + (unified.isPresent() ? " and the unified hierarchy at "
                            + unified.get() + " lacks the cpu or memory controller or is read-only" : ""));
                }
                continue;
            }
            Path base = mount.resolve(relative(own.getOrDefault(c, "/"))).resolve(AGENT_DIR).resolve(scope);
            try {
                Files.createDirectories(base);
            } catch (IOException e) {
                return new Result(null, "cannot create " + base + " (" + e.getClass().getSimpleName()
                        + "); is the agent root?");
            }
            bases.put(c, base);
        }
        return new Result(new CgroupsV1(bases), null);
    }

    /** A pure v2 machine mounts it at the root; a hybrid one (systemd) under {@code unified}. */
    private static Optional<Path> unifiedMount(Path mountRoot) {
        for (Path p : List.of(mountRoot, mountRoot.resolve("unified"))) {
            if (Files.isRegularFile(p.resolve("cgroup.controllers"))) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static Set<String> controllers(Path cgroup) {
        try {
            return Set.of(Files.readString(cgroup.resolve("cgroup.controllers")).trim().split("\\s+"));
        } catch (IOException e) {
            return Set.of();
        }
    }

    /** Creates {@code tower/<scope>}, handing the controllers down each level (v2 enables them per parent). */
    private static Path v2Base(Path unified, String scope, Set<String> available) throws IOException, IsolationException {
        StringBuilder enable = new StringBuilder("+cpu +memory");
        if (available.contains("pids")) {
            enable.append(" +pids");
        }
        Path dir = unified;
        for (String level : List.of(AGENT_DIR, scope)) {
            new ControlFiles(dir).write("cgroup.subtree_control", enable.toString());
            dir = dir.resolve(level);
            Files.createDirectories(dir);
        }
        new ControlFiles(dir).write("cgroup.subtree_control", enable.toString());
        return dir;
    }

    /** Controller → this process's cgroup path in its hierarchy, from lines like {@code 4:memory:/a/b}. */
    static Map<String, String> ownPaths(Path selfCgroup) {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(selfCgroup);
        } catch (IOException e) {
            return out;
        }
        for (String line : lines) {
            String[] f = line.split(":", 3);
            if (f.length == 3) {
                for (String c : f[1].split(",")) {
                    out.put(c, f[2]);
                }
            }
        }
        return out;
    }

    private static String relative(String cgroupPath) {
        return cgroupPath.replaceAll("^/+", "");
    }
}
