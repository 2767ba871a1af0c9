package dev.tower.manager.core;

/** A submitted driver's state, named as Spark's {@code DriverState} so that {@code spark-submit --status} shows it. */
public enum DriverState {
    /** Waiting for an agent, or started and not running yet. */
    SUBMITTED,
    RUNNING,
    /** Supervised, failed, and waiting to be started again. */
    RELAUNCHING,
    FINISHED,
    FAILED,
    KILLED,
    /** Could not be run (its task could not start, or its agent was lost and it is not supervised). */
    ERROR;

    public boolean isTerminal() {
        return this == FINISHED || this == FAILED || this == KILLED || this == ERROR;
    }
}
