package dev.tower.api.agent;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;

import java.util.List;

/**
 * Calls an agent POSTs to {@code /api/v1/agent}. SUBSCRIBE opens the agent's event stream and reports the tasks it
 * already runs (after a reconnection or a restart); UPDATE and HEARTBEAT carry the {@code Tower-Stream-Id} header.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = AgentCall.Subscribe.class, name = "SUBSCRIBE"),
        @JsonSubTypes.Type(value = AgentCall.Update.class, name = "UPDATE"),
        @JsonSubTypes.Type(value = AgentCall.Heartbeat.class, name = "HEARTBEAT"),
})
public sealed interface AgentCall {

    String agentId();

    record Subscribe(AgentInfo agent, List<TaskReport> tasks) implements AgentCall {
        public Subscribe {
            tasks = tasks == null ? List.of() : List.copyOf(tasks);
        }

        @Override
        public String agentId() {
            return agent == null ? null : agent.id();
        }
    }

    /** A status update; the agent resends it (same uuid) with backoff until it receives ACKNOWLEDGED. */
    record Update(String agentId, TaskStatus status) implements AgentCall {
    }

    record Heartbeat(String agentId) implements AgentCall {
    }

    /** A task the agent knows, with the latest state it has reached (acknowledged or not). */
    record TaskReport(String frameworkId, TaskInfo task, TaskState state, FrameworkInfo framework) {
    }
}
