package dev.tower.spark;

import dev.tower.api.detect.MasterUrls;

import java.util.Locale;

/**
 * A Spark master URL that names a Tower cluster: {@code spark+tower://HOST:PORT[,HOST:PORT]}.
 *
 * <p>The {@code spark} prefix is what lets stock {@code spark-submit} accept the URL; SparkContext then finds
 * {@link TowerClusterManager} by ServiceLoader. What follows the prefix is a Tower master URL in the form every Tower
 * client takes, handed unchanged to {@code SchedulerClient.builder(String, ...)}.
 *
 * @param towerMasters the Tower master URL, e.g. {@code h1:5050,h2:5050}
 */
public record TowerMasterUrl(String towerMasters) {
    public static final String PREFIX = "spark+tower://";
    /**
     * ZooKeeper-detected masters ({@code spark+tower://zk://h1:2181,h2:2181/tower}) are passed through untouched:
     * once {@code MasterUrls.detector} understands {@code zk://}, they work here with no change to this plug-in.
     * Until then the scheduler client refuses them at start-up with its own message.
     */
    static final String ZK_SCHEME = "zk://";

    public static boolean matches(String sparkMasterUrl) {
        return sparkMasterUrl != null && sparkMasterUrl.toLowerCase(Locale.ROOT).startsWith(PREFIX);
    }

    /** Throws {@link IllegalArgumentException} saying what is wrong with the URL. */
    public static TowerMasterUrl parse(String sparkMasterUrl) {
        if (!matches(sparkMasterUrl)) {
            throw new IllegalArgumentException("Tower master URL must start with " + PREFIX + ", got \""
                    + sparkMasterUrl + "\"");
        }
        String rest = sparkMasterUrl.substring(PREFIX.length()).trim();
        if (rest.isEmpty() || rest.equals("/")) {
            throw new IllegalArgumentException("Tower master URL \"" + sparkMasterUrl
                    + "\" names no master: expected " + PREFIX + "HOST:PORT[,HOST:PORT]");
        }
        if (rest.toLowerCase(Locale.ROOT).startsWith(ZK_SCHEME)) {
            return new TowerMasterUrl(rest);
        }
        while (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        try {
            if (MasterUrls.parseHostPorts(rest).isEmpty()) {
                throw new IllegalArgumentException("names no master");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Tower master URL \"" + sparkMasterUrl + "\": " + e.getMessage()
                    + " (expected " + PREFIX + "HOST:PORT[,HOST:PORT])", e);
        }
        return new TowerMasterUrl(rest);
    }
}
