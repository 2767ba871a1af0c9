package dev.tower.agent.isolation;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** What isolates one task, from before its process starts until after it ended. */
public interface TaskIsolation {
    /** No limits, nothing measured. */
    TaskIsolation NONE = new TaskIsolation() {
    };

    /**
     * The {@code cgroup.procs} files the task's wrapper writes its own pid into before it starts the task (and does
     * not start it if it cannot), so that everything the task forks is inside its cgroups from its first instruction.
     */
    default List<Path> joinFiles() {
        return List.of();
    }

    /** The task runs as process group {@code pgid}: {@code onMemoryExceeded} runs (once) if it goes over its memory. */
    default void watch(long pgid, Runnable onMemoryExceeded) {
    }

    /** Whether the task went over its memory limit at any time; asked again once it ended, to miss no late kill. */
    default boolean memoryExceeded() {
        return false;
    }

    default Optional<TaskUsage> usage() {
        return Optional.empty();
    }

    /** The task ended: stop watching it and remove what it was given. */
    default void release() {
    }
}
