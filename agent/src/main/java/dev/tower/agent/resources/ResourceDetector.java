package dev.tower.agent.resources;

import dev.tower.api.model.Range;
import dev.tower.api.model.Resources;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What this machine offers: resources named on the command line win, the others are detected. Memory and disk keep
 * a margin for the operating system and the agent itself, as Mesos does.
 */
public final class ResourceDetector {
    static final double RESERVED_MEM_MB = 1024;
    static final double MIN_MEM_MB = 256;
    static final double DISK_HEADROOM = 0.05;
    public static final Range DEFAULT_PORTS = new Range(31000, 32000);

    private final Path workDir;

    public ResourceDetector(Path workDir) {
        this.workDir = workDir;
    }

    /** The {@code --resources} flag, e.g. {@code cpus:4;mem:8192;ports:[31000-32000]}; the message names the bad resource. */
    public static Resources parse(String flag) {
        return Resources.parse(flag);
    }

    /** {@code given} completed with detected values for every standard resource it does not name. */
    public Resources resolve(Resources given) {
        Resources detected = detect();
        if (given == null || given.isEmpty()) {
            return detected;
        }
        Map<String, Double> scalars = new HashMap<>(detected.scalars());
        scalars.putAll(given.scalars());
        Map<String, List<Range>> ranges = new HashMap<>(detected.rangesMap());
        ranges.putAll(given.rangesMap());
        return Resources.of(scalars, ranges);
    }

    public Resources detect() {
        Map<String, Double> scalars = new HashMap<>();
        scalars.put(Resources.CPUS, (double) Runtime.getRuntime().availableProcessors());
        scalars.put(Resources.MEM, memoryMb());
        scalars.put(Resources.DISK, diskMb());
        return Resources.of(scalars, Map.of(Resources.PORTS, List.of(DEFAULT_PORTS)));
    }

    private static double memoryMb() {
        double total = physicalMemoryBytes() / (1024.0 * 1024.0);
        return Math.floor(Math.max(MIN_MEM_MB, total - RESERVED_MEM_MB));
    }

    private static long physicalMemoryBytes() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        // Without the JDK extension there is no portable way to ask; the JVM's ceiling is a lower bound.
        return Runtime.getRuntime().maxMemory();
    }

    private double diskMb() {
        try {
            Path existing = workDir.toAbsolutePath();
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            long usable = Files.getFileStore(existing == null ? Path.of("/") : existing).getUsableSpace();
            return Math.floor(usable / (1024.0 * 1024.0) * (1 - DISK_HEADROOM));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot measure free disk space under " + workDir, e);
        }
    }
}
