package dev.tower.agent.isolation;

/** A task's isolation could not be set up; the task must not run without it. */
public final class IsolationException extends Exception {
    public IsolationException(String message) {
        super(message);
    }
}
