package dev.tower.spark;

import dev.tower.api.detect.MasterUrls;
import dev.tower.api.detect.ZooKeeperUrl;

import java.util.Locale;

/**
 * A Spark master URL that names a Tower cluster: {@code spark+tower://HOST:PORT[,HOST:PORT]}, or
 * {@code spark+tower://zk://ZKHOST:PORT[,ZKHOST:PORT]/PATH} for highly available masters found through ZooKeeper.
 *
 * <p>The {@code spark} prefix is what lets stock {@code spark-submit} accept the URL; SparkContext then finds
 * {@link TowerClusterManager} by ServiceLoader. What follows the prefix is a Tower master URL in the form every Tower
 * client takes, handed unchanged to {@code SchedulerClient.builder(String, ...)}.
 *
 * <p>With {@code zk://} the driver's scheduler client follows the elected master through ZooKeeper, using the
 * Curator and ZooKeeper that Spark itself ships (the plug-in jar carries neither).
 *
 * @param towerMasters the Tower master URL, e.g. {@code h1:5050,h2:5050} or {@code zk://z1:2181,z2:2181/tower}
 */
public record TowerMasterUrl(String towerMasters) {
    public static final String PREFIX = "spark+tower://";
    static final String ZK_SCHEME = ZooKeeperUrl.PREFIX;

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
            try {
                return new TowerMasterUrl(ZooKeeperUrl.parse(ZK_SCHEME + rest.substring(ZK_SCHEME.length())).toString());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Tower master URL \"" + sparkMasterUrl + "\": " + e.getMessage()
                        + " (expected " + PREFIX + ZK_SCHEME + "ZKHOST:PORT[,ZKHOST:PORT]/PATH)", e);
            }
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
