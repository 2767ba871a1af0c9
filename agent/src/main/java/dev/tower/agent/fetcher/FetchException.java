package dev.tower.agent.fetcher;

/** A URI that could not be brought into the sandbox; the message is shown to the framework as the failure reason. */
public final class FetchException extends Exception {
    public FetchException(String uri, String cause) {
        super("fetch failed: " + uri + ": " + cause);
    }
}
