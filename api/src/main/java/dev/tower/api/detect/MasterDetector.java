package dev.tower.api.detect;

import java.net.URI;
import java.util.List;

/**
 * Finds the master to talk to. Clients (scheduler client, agent, CLI) ask for candidates, try them in order, follow
 * a {@code 307} to the leader and move on after a refusal or a {@code 503}.
 *
 * <p>Built from a master URL by {@link MasterUrls#detector(String)}: {@code host:port[,host:port]} today; the HA
 * work adds {@code zk://host:2181,host:2181/path}, whose detector knows the elected leader.
 */
public interface MasterDetector extends AutoCloseable {

    /** Base URIs ({@code http://host:port}) to try, most likely leader first. Never empty. */
    List<URI> candidates();

    /** Tells the detector which candidate answered as leader, so it is tried first next time. */
    default void leaderSeen(URI leader) {
    }

    @Override
    default void close() {
    }
}
