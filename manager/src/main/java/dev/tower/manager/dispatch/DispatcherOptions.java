package dev.tower.manager.dispatch;

import java.util.Optional;

/**
 * How the master runs drivers submitted in cluster deploy mode.
 *
 * @param role the role the driver dispatcher subscribes in (its share of the cluster follows that role's weight)
 * @param sparkHome the Spark home drivers run from on the agents (the same path on each), unless a submission names
 *                  one in {@code spark.tower.executor.home}; empty for none
 */
public record DispatcherOptions(String role, Optional<String> sparkHome) {
    public static final String DEFAULT_ROLE = "spark-drivers";
    public static final DispatcherOptions DEFAULT = new DispatcherOptions(DEFAULT_ROLE, Optional.empty());

    public DispatcherOptions {
        role = role == null || role.isBlank() ? DEFAULT_ROLE : role;
        sparkHome = sparkHome == null ? Optional.empty() : sparkHome;
    }
}
