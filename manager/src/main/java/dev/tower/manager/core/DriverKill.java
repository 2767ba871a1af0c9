package dev.tower.manager.core;

/** The answer to a kill request for a submitted driver, as Spark's {@code KillSubmissionResponse} carries it. */
public record DriverKill(boolean success, String message) {
}
