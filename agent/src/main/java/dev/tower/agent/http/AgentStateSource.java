package dev.tower.agent.http;

/** Where {@code /health} and {@code /api/v1/state} read the agent's current state from. */
@FunctionalInterface
public interface AgentStateSource {
    AgentStateView get();
}
