package dev.tower.api.model;

import java.util.Map;

/**
 * A task a framework launches on an offer's agent.
 *
 * @param taskId unique within its framework
 * @param agentId the agent of the offer it is launched on (filled in by the master when absent)
 * @param command what to run; for a container task it may be null (the image's own command runs)
 * @param killGracePeriodSeconds time between SIGTERM and SIGKILL on kill; 3 s when null
 * @param container run in this container rather than as a plain process; null for a process task
 */
public record TaskInfo(
        String taskId,
        String name,
        String agentId,
        Resources resources,
        CommandInfo command,
        Double killGracePeriodSeconds,
        Map<String, String> labels,
        ContainerInfo container) {

    public static final double DEFAULT_GRACE_PERIOD_SECONDS = 3.0;

    public TaskInfo {
        resources = resources == null ? Resources.EMPTY : resources;
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** A process task (no container). */
    public TaskInfo(String taskId, String name, String agentId, Resources resources, CommandInfo command,
                    Double killGracePeriodSeconds, Map<String, String> labels) {
        this(taskId, name, agentId, resources, command, killGracePeriodSeconds, labels, null);
    }

    public static TaskInfo of(String taskId, Resources resources, CommandInfo command) {
        return new TaskInfo(taskId, taskId, null, resources, command, null, Map.of(), null);
    }

    public double gracePeriodSeconds() {
        return killGracePeriodSeconds == null ? DEFAULT_GRACE_PERIOD_SECONDS : killGracePeriodSeconds;
    }

    public TaskInfo withAgentId(String id) {
        return new TaskInfo(taskId, name, id, resources, command, killGracePeriodSeconds, labels, container);
    }

    public TaskInfo withCommand(CommandInfo c) {
        return new TaskInfo(taskId, name, agentId, resources, c, killGracePeriodSeconds, labels, container);
    }

    public TaskInfo withContainer(ContainerInfo c) {
        return new TaskInfo(taskId, name, agentId, resources, command, killGracePeriodSeconds, labels, c);
    }

    /** Whether the task has a command of its own to run (a container task may run its image's). */
    public boolean hasCommand() {
        return command != null && command.value() != null && !command.value().isBlank();
    }
}
