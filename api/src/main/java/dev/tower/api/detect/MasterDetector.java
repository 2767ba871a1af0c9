package dev.tower.api.detect;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * Finds the master to talk to. Clients (scheduler client, agent, CLI) ask for candidates, try them in order, follow
 * a {@code 307} to the leader and move on after a refusal or a {@code 503}.
 *
 * <p>Built from a master URL by {@link MasterUrls#detector(String)}: {@code host:port[,host:port]} gives a
 * {@link StaticMasterDetector}, {@code zk://host:2181,host:2181/path} a {@link ZooKeeperMasterDetector}, which knows
 * the elected leader and learns of every change.
 *
 * <p>Leader changes: {@link #leaderChanges()} counts the changes the detector has learnt of, and
 * {@link #awaitLeaderChange(long, Duration)} waits for the next one, so that a client pausing between attempts
 * tries again as soon as a new leader is published rather than when its backoff ends. {@link #onLeaderChange} runs
 * a callback on each change, for a client holding a stream to a master that no longer leads. A detector that never
 * learns of changes (the static one) counts none, waits out the whole pause and never calls back.
 */
public interface MasterDetector extends AutoCloseable {

    /**
     * Base URIs ({@code http://host:port}) to try, most likely leader first. Never empty.
     *
     * @throws NoLeaderException the detector knows there is no master to try now (ZooKeeper: none is elected, or
     *                           ZooKeeper cannot be reached); the message says which. Asking again later may succeed.
     */
    List<URI> candidates();

    /** Tells the detector which candidate answered as leader, so it is tried first next time. */
    default void leaderSeen(URI leader) {
    }

    /** How many leader changes the detector has learnt of so far; pass it to {@link #awaitLeaderChange}. */
    default long leaderChanges() {
        return 0;
    }

    /**
     * Waits until the detector learns of a leader change after the {@code seen}-th one, or {@code timeout} passes.
     *
     * @param seen a value of {@link #leaderChanges()} read before the attempt that failed
     * @return whether a change came (at once if one already has), false when the timeout passed
     * @throws InterruptedException the thread was interrupted while waiting (which is how clients stop it)
     */
    default boolean awaitLeaderChange(long seen, Duration timeout) throws InterruptedException {
        Thread.sleep(Math.max(0, timeout.toMillis()));
        return false;
    }

    /**
     * Runs {@code listener} after each leader change (a new leader published, or none any more), on the detector's
     * own thread: it must return quickly and must not block. {@link #candidates()} called from it answers at once.
     *
     * @return closing it removes the listener
     */
    default AutoCloseable onLeaderChange(Runnable listener) {
        return () -> {
        };
    }

    @Override
    default void close() {
    }
}
