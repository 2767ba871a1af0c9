package dev.tower.agent.isolation;

import dev.tower.agent.sandbox.DirNames;

/**
 * A task's cgroup name: {@code <framework>+<task>}, both percent-encoded as for sandbox directories. The encoding
 * never produces {@code +}, so the name tells the two ids apart again, and never {@code /}, so it stays one level.
 */
public final class CgroupName {
    private CgroupName() {
    }

    public static String of(String frameworkId, String taskId) {
        return DirNames.encode(frameworkId) + "+" + DirNames.encode(taskId);
    }
}
