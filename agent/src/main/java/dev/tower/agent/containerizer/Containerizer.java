package dev.tower.agent.containerizer;

import dev.tower.api.model.TaskInfo;

import java.time.Instant;
import java.util.Optional;

/**
 * Runs a task inside its (already prepared and fetched) sandbox. The process containerizer is built in; others (Docker)
 * are found with {@link java.util.ServiceLoader} and asked in turn whether they take a task.
 */
public interface Containerizer {

    /** A short name for logs and {@code /api/v1/state}: {@code process}, {@code docker}. */
    String name();

    boolean canLaunch(TaskInfo task);

    /** Starts the task and returns once it runs; the container's exit future completes when it ends. */
    Container launch(LaunchSpec spec) throws LaunchException;

    /**
     * The container of a task launched by an earlier run of the agent, if it is still running. Containerizers that
     * cannot find their tasks again return empty, and the task is reported lost.
     */
    default Optional<Container> recover(TaskInfo task, long pid, Instant startedAt) {
        return Optional.empty();
    }
}
