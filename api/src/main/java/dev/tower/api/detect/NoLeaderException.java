package dev.tower.api.detect;

/**
 * A detector has no master to offer now: none is elected, or the service that names the leader (ZooKeeper) cannot
 * be reached. The message says which, naming the ZooKeeper URL or servers. Clients retry; it is not a bug.
 */
public class NoLeaderException extends RuntimeException {
    public NoLeaderException(String message) {
        super(message);
    }
}
