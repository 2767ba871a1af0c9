package dev.tower.api.model;

import java.util.Map;

/**
 * What an agent says about itself when it subscribes. {@code id} is null on its first subscription; the master
 * assigns one, and the agent presents it again after a restart or reconnection.
 *
 * @param port the agent's own HTTP port (for {@code /files})
 */
public record AgentInfo(String id, String hostname, int port, Resources resources, Map<String, String> attributes) {
    public AgentInfo {
        resources = resources == null ? Resources.EMPTY : resources;
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    }

    public AgentInfo withId(String newId) {
        return new AgentInfo(newId, hostname, port, resources, attributes);
    }

    public String address() {
        return hostname + ":" + port;
    }
}
