package dev.tower.agent.metrics;

import dev.tower.agent.isolation.TaskUsage;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskState;

import java.util.List;

/** What an agent tells its metrics about itself at scrape time. */
public interface AgentStatus {
    /** The state of each task the agent knows (running, or ended and not yet acknowledged). */
    List<TaskState> taskStates();

    /** The resources the agent offers to the cluster. */
    Resources capacity();

    /** Of those, what its tasks not yet ended use. */
    Resources used();

    /** Status updates not yet acknowledged by the master. */
    int unacknowledgedUpdates();

    /** The containerizers that run tasks here ({@code process}, {@code docker}). */
    List<String> containerizers();

    /** Whether the agent holds a subscription with a master now. */
    boolean connected();

    /** What the running tasks measured by their isolation use, summed. */
    default TaskUsage tasksUsage() {
        return TaskUsage.NONE;
    }
}
