package dev.tower.agent.containerizer;

/**
 * How a container ended.
 *
 * @param exitCode the main process's exit status (128 + n when killed by signal n); null when it cannot be known,
 *                 e.g. for a process the agent did not start itself
 */
public record ContainerExit(Integer exitCode) {
}
