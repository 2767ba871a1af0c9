package dev.tower.agent.containerizer;

import dev.tower.api.model.TaskInfo;

import java.nio.file.Path;

/**
 * Everything a containerizer needs to start one task.
 *
 * @param checkpointDir the agent's own directory for the task, kept across agent restarts until the task is settled:
 *                      a containerizer keeps there what it needs to {@linkplain Containerizer#recover recover} the task
 */
public record LaunchSpec(String frameworkId, String agentId, String hostname, TaskInfo task, Path sandbox,
                         Path checkpointDir) {
}
