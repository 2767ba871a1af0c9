package dev.tower.agent.containerizer;

/**
 * How a container ended.
 *
 * @param exitCode the main process's exit status (128 + n when killed by signal n); null when it cannot be known,
 *                 e.g. for a task that ended after an agent restart without recording its status
 */
public record ContainerExit(Integer exitCode) {
}
