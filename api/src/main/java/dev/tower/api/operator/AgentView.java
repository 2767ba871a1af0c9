package dev.tower.api.operator;

import dev.tower.api.model.Resources;

import java.util.Map;

/** @param state ACTIVE or UNREACHABLE */
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
