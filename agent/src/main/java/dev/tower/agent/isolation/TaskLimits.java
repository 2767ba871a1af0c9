package dev.tower.agent.isolation;

import dev.tower.api.model.Resources;

/**
 * What a task may use, from the resources it was given. A resource the task did not ask for (0) is not limited:
 * a task without {@code mem} has no memory limit, as before isolation.
 *
 * @param cpus CPU shares and CFS quota; 0 for none
 * @param memBytes memory (and memory + swap: tasks get no swap); 0 for none
 * @param pidsMax processes and threads in the task at once; 0 for none
 */
public record TaskLimits(double cpus, long memBytes, long pidsMax) {
    private static final long MB = 1024L * 1024;

    public TaskLimits {
        if (cpus < 0 || memBytes < 0 || pidsMax < 0) {
            throw new IllegalArgumentException("limits must not be negative: " + cpus + " cpus, " + memBytes
                    + " bytes, " + pidsMax + " pids");
        }
    }

    public static TaskLimits of(Resources resources, long pidsMax) {
        return new TaskLimits(resources.scalar(Resources.CPUS), (long) (resources.scalar(Resources.MEM) * MB), pidsMax);
    }
}
