package dev.tower.agent.containerizer;

import dev.tower.api.model.TaskInfo;

import java.nio.file.Path;

/**
 * Everything a containerizer needs to start one task.
 *
 * @param checkpointDir the agent's own directory for the task, kept across agent restarts until the task is settled:
 *                      a containerizer keeps there what it needs to {@linkplain Containerizer#recover recover} the task
 * @param user the user the task asks to run as: its command's {@code user}, else its framework's; null when neither
 *             names one (the agent's {@code --task-user} then). The Docker containerizer heeds only the command's.
 */
public record LaunchSpec(String frameworkId, String agentId, String hostname, TaskInfo task, Path sandbox,
                         Path checkpointDir, String user) {

    public LaunchSpec {
        user = user == null || user.isBlank() ? null : user;
    }

    /** A task that names no user. */
    public LaunchSpec(String frameworkId, String agentId, String hostname, TaskInfo task, Path sandbox,
                      Path checkpointDir) {
        this(frameworkId, agentId, hostname, task, sandbox, checkpointDir, null);
    }
}
