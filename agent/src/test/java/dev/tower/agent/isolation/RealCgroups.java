package dev.tower.agent.isolation;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Path;
import java.util.UUID;

/**
 * The machine's cgroup hierarchy, for tests that need the kernel to enforce limits: each gets a scope of its own and
 * removes it afterwards. Tests are skipped, saying why, where the agent could not write cgroups (not root).
 */
public final class RealCgroups implements AutoCloseable {
    private static final Path MOUNT_ROOT = Path.of("/sys/fs/cgroup");
    private static final Path SELF = Path.of("/proc/self/cgroup");

    public final String scope = "test-" + UUID.randomUUID().toString().substring(0, 8);
    public final Cgroups cgroups;

    public RealCgroups() {
        CgroupDetection.Result r = CgroupDetection.detect(MOUNT_ROOT, SELF, scope);
        Assumptions.assumeTrue(r.found().isPresent(), () -> "SKIPPED: cgroups are not writable here: " + r.whyNot());
        cgroups = r.cgroups();
    }

    /** The same hierarchy as the agent would find it again after a restart. */
    public Cgroups again() {
        return CgroupDetection.detect(MOUNT_ROOT, SELF, scope).cgroups();
    }

    /** Removes every task cgroup left, then the scope's own directories. */
    @Override
    public void close() {
        cgroups.names().forEach(cgroups::remove);
        cgroups.close();
    }
}
