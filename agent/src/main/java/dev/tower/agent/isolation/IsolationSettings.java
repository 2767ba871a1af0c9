package dev.tower.agent.isolation;

/**
 * The operator's choices: {@code tower agent --isolation} (or {@code --no-isolation}), {@code --task-pids-max N}.
 *
 * @param enabled whether process tasks are limited at all
 * @param taskPidsMax processes and threads a task may have at once (cgroup pids controller); 0 for no limit
 */
public record IsolationSettings(boolean enabled, long taskPidsMax) {
    /** Enough for a JVM with a large thread pool, few enough to stop a fork bomb from taking the machine's pid space. */
    public static final long DEFAULT_TASK_PIDS_MAX = 4096;
    /**
     * Off until the YARN bridge grows a NodeManager's limits with its capacity: YARN's containers are children of the
     * NodeManager task, so a cgroup at the NodeManager's own {@code mem} would OOM-kill them (docs/isolation.md).
     */
    public static final IsolationSettings DEFAULTS = new IsolationSettings(false, DEFAULT_TASK_PIDS_MAX);
    public static final IsolationSettings ON = new IsolationSettings(true, DEFAULT_TASK_PIDS_MAX);

    public IsolationSettings {
        if (taskPidsMax < 0) {
            throw new IllegalArgumentException("taskPidsMax must not be negative, got " + taskPidsMax);
        }
    }
}
