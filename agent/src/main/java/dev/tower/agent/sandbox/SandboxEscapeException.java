package dev.tower.agent.sandbox;

/** A path given by a user that would lead outside the sandbox; always a client error. */
public final class SandboxEscapeException extends Exception {
    public SandboxEscapeException(String path) {
        super("path '" + path + "' escapes the sandbox");
    }
}
