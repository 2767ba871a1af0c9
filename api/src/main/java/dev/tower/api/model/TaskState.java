package dev.tower.api.model;

/** Task lifecycle, named after Mesos's task states. */
public enum TaskState {
    STAGING, STARTING, RUNNING, KILLING,
    FINISHED, FAILED, KILLED, ERROR, LOST, DROPPED, GONE,
    /** The task's agent is partitioned from the master; the task may still be running. */
    UNREACHABLE,
    /** Reported by reconciliation for a task the master does not know. */
    UNKNOWN;

    public boolean isTerminal() {
        return switch (this) {
            case FINISHED, FAILED, KILLED, ERROR, LOST, DROPPED, GONE -> true;
            default -> false;
        };
    }
}
