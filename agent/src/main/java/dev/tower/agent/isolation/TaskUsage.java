package dev.tower.agent.isolation;

/**
 * What a task has used so far, as its cgroups (or, without them, {@code /proc}) count it.
 *
 * @param cpuSeconds CPU time of every process the task ran, user and system
 * @param memoryBytes memory charged to the task now (cgroups: page cache included; watchdog: resident set size)
 * @param throttledPeriods CFS periods in which the task used up its quota and had to wait
 * @param throttledSeconds time the task spent waiting so
 */
public record TaskUsage(double cpuSeconds, long memoryBytes, long throttledPeriods, double throttledSeconds) {
    public static final TaskUsage NONE = new TaskUsage(0, 0, 0, 0);

    public TaskUsage plus(TaskUsage o) {
        return new TaskUsage(cpuSeconds + o.cpuSeconds, memoryBytes + o.memoryBytes,
                throttledPeriods + o.throttledPeriods, throttledSeconds + o.throttledSeconds);
    }
}
