package dev.tower.api.operator;

import dev.tower.api.model.Resources;

import java.util.Map;

/** @param state ACTIVE, UNREACHABLE, or RECOVERING (known from the registry, not re-subscribed since a master failover) */
public record AgentView(
        String id,
        String hostname,
        int port,
        String state,
        Resources total,
        Resources used,
        Resources offered,
        Map<String, String> attributes,
        int activeTasks,
        double registeredAt,
        Double unreachableSince) {
}
