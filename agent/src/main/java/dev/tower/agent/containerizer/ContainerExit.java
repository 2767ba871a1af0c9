package dev.tower.agent.containerizer;

/**
 * How a container ended.
 *
 * @param exitCode the main process's exit status (128 + n when killed by signal n); null when it cannot be known,
 *                 e.g. for a task that ended after an agent restart without recording its status
 * @param failure why the task failed whatever its exit status, e.g. {@link #MEMORY_LIMIT}; null when only the status
 *                tells
 */
public record ContainerExit(Integer exitCode, String failure) {
    /** The task went over its memory limit and the kernel killed (part of) it: the whole task fails. */
    public static final String MEMORY_LIMIT = "memory limit exceeded";

    public ContainerExit(Integer exitCode) {
        this(exitCode, null);
    }
}
