package dev.tower.agent.containerizer;

import dev.tower.api.model.TaskInfo;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/**
 * Runs a task inside its (already prepared and fetched) sandbox. The process containerizer is built in; others (Docker)
 * come from {@link ContainerizerProvider}s found with {@link java.util.ServiceLoader}, and are asked first whether
 * they take a task.
 */
public interface Containerizer extends AutoCloseable {

    /** A short name for logs and {@code /api/v1/state}: {@code process}, {@code docker}. */
    String name();

    boolean canLaunch(TaskInfo task);

    /** Starts the task and returns once it runs; the container's exit future completes when it ends. */
    Container launch(LaunchSpec spec) throws LaunchException;

    /**
     * The container of a task launched by an earlier run of the agent: still running (its exit completes when it
     * ends), or ended while the agent was down (its exit already complete). Either way the exit carries the task's
     * status when the containerizer can learn it. Containerizers that cannot find their tasks again return empty,
     * and the task is reported lost.
     *
     * @param checkpointDir the directory the task was launched with ({@link LaunchSpec#checkpointDir()})
     * @param startedAt when the task's process started, null if unknown
     */
    default Optional<Container> recover(TaskInfo task, Path checkpointDir, long pid, Instant startedAt) {
        return Optional.empty();
    }

    /** {@link #recover(TaskInfo, Path, long, Instant)}, for containerizers that need the task's framework too. */
    default Optional<Container> recover(String frameworkId, TaskInfo task, Path checkpointDir, long pid,
                                        Instant startedAt) {
        return recover(task, checkpointDir, pid, startedAt);
    }

    /**
     * After recovery: removes what this containerizer runs for tasks the agent does not know (left by an agent whose
     * work dir was wiped, say), so they do not hold resources the agent offers again.
     *
     * @param knownTasks {@code frameworkId/taskId} of every task the agent knows
     */
    default void removeUnknown(Set<String> knownTasks) {
    }

    /** Releases the containerizer's own resources (connections); tasks keep running. */
    @Override
    default void close() {
    }
}
