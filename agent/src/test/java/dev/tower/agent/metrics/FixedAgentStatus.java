package dev.tower.agent.metrics;

import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskState;

import java.util.List;

/** An agent whose state does not change, for tests. */
public record FixedAgentStatus(List<TaskState> taskStates, Resources capacity, Resources used,
                               int unacknowledgedUpdates, List<String> containerizers, boolean connected)
        implements AgentStatus {

    public static FixedAgentStatus idle() {
        return new FixedAgentStatus(List.of(), Resources.cpusMem(4, 4096), Resources.EMPTY, 0, List.of("process"), true);
    }
}
