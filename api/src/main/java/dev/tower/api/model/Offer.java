package dev.tower.api.model;

import java.util.Map;

/** Resources of one agent offered to one framework until accepted, declined or rescinded. */
public record Offer(
        String id,
        String frameworkId,
        String agentId,
        String hostname,
        Resources resources,
        Map<String, String> attributes) {
    public Offer {
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    }
}
