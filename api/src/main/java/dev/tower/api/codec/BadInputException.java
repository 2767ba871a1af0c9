package dev.tower.api.codec;

/** Input that cannot be accepted; the message names the offending field and is safe to show to the caller. */
public class BadInputException extends RuntimeException {
    public BadInputException(String message) {
        super(message);
    }
}
