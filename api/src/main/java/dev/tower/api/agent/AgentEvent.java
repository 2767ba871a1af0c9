package dev.tower.api.agent;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.TaskInfo;

/** Events on an agent's SSE stream; the SSE event name equals {@code type}. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = AgentEvent.Subscribed.class, name = "SUBSCRIBED"),
        @JsonSubTypes.Type(value = AgentEvent.RunTask.class, name = "RUN_TASK"),
        @JsonSubTypes.Type(value = AgentEvent.KillTask.class, name = "KILL_TASK"),
        @JsonSubTypes.Type(value = AgentEvent.ShutdownFramework.class, name = "SHUTDOWN_FRAMEWORK"),
        @JsonSubTypes.Type(value = AgentEvent.Acknowledged.class, name = "ACKNOWLEDGED"),
        @JsonSubTypes.Type(value = AgentEvent.Heartbeat.class, name = "HEARTBEAT"),
})
public sealed interface AgentEvent {

    /**
     * @param streamId the value to send as the {@code Tower-Stream-Id} header on later calls
     * @param epoch the leading master's epoch (0 without ZooKeeper); an agent that has seen a higher one ignores
     *              this master, which has been deposed
     */
    record Subscribed(String agentId, String streamId, double heartbeatIntervalSeconds, long epoch)
            implements AgentEvent {
        public Subscribed(String agentId, String streamId, double heartbeatIntervalSeconds) {
            this(agentId, streamId, heartbeatIntervalSeconds, 0);
        }
    }

    record RunTask(String frameworkId, FrameworkInfo framework, TaskInfo task) implements AgentEvent {
    }

    /** Kill with SIGTERM, then SIGKILL after {@code gracePeriodSeconds} (the task's own when null). */
    record KillTask(String frameworkId, String taskId, Double gracePeriodSeconds) implements AgentEvent {
    }

    /** Kill every task of the framework and forget it. */
    record ShutdownFramework(String frameworkId) implements AgentEvent {
    }

    /** The framework acknowledged this update: the agent may drop it from its status stream. */
    record Acknowledged(String frameworkId, String taskId, String uuid) implements AgentEvent {
    }

    record Heartbeat() implements AgentEvent {
    }
}
