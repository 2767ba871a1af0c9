package dev.tower.agent.containerizer;

import dev.tower.agent.isolation.TaskUsage;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** A launched task. */
public interface Container {

    /**
     * The id of the task's main process (for the process containerizer, the shell that runs the task and leads its
     * process group).
     */
    long pid();

    /** When the main process started, to recognise it again after an agent restart (pids are reused). */
    Optional<Instant> startedAt();

    /** Completes once the task and everything it started are gone. */
    CompletableFuture<ContainerExit> exit();

    /**
     * Asks the task to stop (SIGTERM) and forces it (SIGKILL) after {@code gracePeriod}. Calling it again may only
     * shorten the remaining grace period.
     */
    void kill(Duration gracePeriod);

    /** What the task has used so far, where the containerizer measures it. */
    default Optional<TaskUsage> usage() {
        return Optional.empty();
    }
}
