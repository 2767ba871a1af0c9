package dev.tower.api.model;

import java.util.Map;

/**
 * A task a framework launches on an offer's agent.
 *
 * @param taskId unique within its framework
 * @param agentId the agent of the offer it is launched on (filled in by the master when absent)
 * @param killGracePeriodSeconds time between SIGTERM and SIGKILL on kill; 3 s when null
 */
public record TaskInfo(
        String taskId,
        String name,
        String agentId,
        Resources resources,
        CommandInfo command,
        Double killGracePeriodSeconds,
        Map<String, String> labels) {

    public static final double DEFAULT_GRACE_PERIOD_SECONDS = 3.0;

    public TaskInfo {
        resources = resources == null ? Resources.EMPTY : resources;
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    public static TaskInfo of(String taskId, Resources resources, CommandInfo command) {
        return new TaskInfo(taskId, taskId, null, resources, command, null, Map.of());
    }

    public double gracePeriodSeconds() {
        return killGracePeriodSeconds == null ? DEFAULT_GRACE_PERIOD_SECONDS : killGracePeriodSeconds;
    }

    public TaskInfo withAgentId(String id) {
        return new TaskInfo(taskId, name, id, resources, command, killGracePeriodSeconds, labels);
    }
}
