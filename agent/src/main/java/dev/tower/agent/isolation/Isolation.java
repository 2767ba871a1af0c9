package dev.tower.agent.isolation;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ScheduledExecutorService;

/** Chooses the agent's {@link Isolator} at start-up and says which, and why, once. */
public final class Isolation {
    private static final Logger LOG = LoggerFactory.getLogger(Isolation.class);
    /** How often running tasks are checked for going over their memory. */
    static final Duration POLL = Duration.ofMillis(200);
    private static final Path MOUNT_ROOT = Path.of("/sys/fs/cgroup");
    private static final Path SELF_CGROUP = Path.of("/proc/self/cgroup");
    private static final Path PROC = Path.of("/proc");

    private Isolation() {
    }

    public static Isolator select(IsolationSettings settings, Path workDir, ScheduledExecutorService timer) {
        Isolator chosen;
        if (!settings.enabled()) {
            chosen = Isolator.NONE;
        } else {
            CgroupDetection.Result found = CgroupDetection.detect(MOUNT_ROOT, SELF_CGROUP, scope(workDir));
            chosen = found.found()
                    .<Isolator>map(c -> new CgroupIsolator(c, settings.taskPidsMax(), timer, POLL))
                    .orElseGet(() -> new WatchdogIsolator(found.whyNot(), timer, POLL, PROC));
        }
        if (chosen instanceof CgroupIsolator) {
            LOG.info("process tasks isolated with {}", chosen.description());
        } else if (chosen instanceof WatchdogIsolator) {
            LOG.warn("cgroup isolation of process tasks is off: {}", chosen.description());
        } else {
            LOG.info("process tasks are not isolated: {}", chosen.description());
        }
        return chosen;
    }

    /**
     * The agent's directory name in the hierarchy: the same for every start on the same work dir (so a restarted
     * agent finds its tasks' cgroups), different for agents sharing a machine ({@code tower up} runs two).
     */
    static String scope(Path workDir) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(
                    workDir.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
            return "agent-" + HexFormat.of().formatHex(hash, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
