package dev.tower.agent.containerizer;

/** The task could not be started; the message becomes the FAILED status's reason. */
public final class LaunchException extends Exception {
    public LaunchException(String message) {
        super(message);
    }
}
