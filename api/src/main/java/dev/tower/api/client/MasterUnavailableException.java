package dev.tower.api.client;

/** No candidate master answered as leader: every one refused, was unreachable, or said it has no leader (503). */
public class MasterUnavailableException extends RuntimeException {
    public MasterUnavailableException(String message) {
        super(message);
    }

    public MasterUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
