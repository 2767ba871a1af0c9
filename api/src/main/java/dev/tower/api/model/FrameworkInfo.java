package dev.tower.api.model;

import java.util.List;

/**
 * A framework's description. {@code id} is null on its first subscription; presenting it again within
 * {@code failoverTimeoutSeconds} of a disconnection keeps the framework's tasks.
 */
public record FrameworkInfo(
        String id,
        String name,
        String role,
        String principal,
        String user,
        String hostname,
        Double failoverTimeoutSeconds,
        List<String> capabilities) {

    public static final String DEFAULT_ROLE = "*";

    public FrameworkInfo {
        role = role == null || role.isBlank() ? DEFAULT_ROLE : role;
        capabilities = capabilities == null ? List.of() : List.copyOf(capabilities);
    }

    public static FrameworkInfo named(String name, String role) {
        return new FrameworkInfo(null, name, role, null, null, null, 0.0, List.of());
    }

    public double failoverTimeout() {
        return failoverTimeoutSeconds == null ? 0 : failoverTimeoutSeconds;
    }

    public FrameworkInfo withId(String newId) {
        return new FrameworkInfo(newId, name, role, principal, user, hostname, failoverTimeoutSeconds, capabilities);
    }

    public FrameworkInfo withFailoverTimeout(double seconds) {
        return new FrameworkInfo(id, name, role, principal, user, hostname, seconds, capabilities);
    }
}
