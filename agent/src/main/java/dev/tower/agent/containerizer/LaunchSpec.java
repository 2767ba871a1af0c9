package dev.tower.agent.containerizer;

import dev.tower.api.model.TaskInfo;

import java.nio.file.Path;

/** Everything a containerizer needs to start one task. */
public record LaunchSpec(String frameworkId, String agentId, String hostname, TaskInfo task, Path sandbox) {
}
