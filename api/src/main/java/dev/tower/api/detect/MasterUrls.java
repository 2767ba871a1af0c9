package dev.tower.api.detect;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses master URLs, the same forms everywhere a master is named (agent flag, CLI, scheduler client, Spark):
 * {@code host:port[,host:port]} or {@code zk://host:port[,host:port]/path}.
 */
public final class MasterUrls {
    public static final int DEFAULT_PORT = 5050;

    private MasterUrls() {
    }

    /**
     * A detector for {@code host:port[,host:port]} (an {@code http://} or {@code https://} prefix is accepted), or for
     * {@code zk://host:port[,host:port]/path} (a {@link ZooKeeperMasterDetector}, which connects on first use). Throws
     * {@link IllegalArgumentException} naming the bad part. The caller closes the detector.
     */
    public static MasterDetector detector(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException(
                    "master URL is empty; expected host:port[,host:port] or zk://host:port[,host:port]/path");
        }
        String u = url.trim();
        if (ZooKeeperUrl.isZooKeeper(u)) {
            return new ZooKeeperMasterDetector(ZooKeeperUrl.parse(u));
        }
        return new StaticMasterDetector(parseHostPorts(u));
    }

    public static List<URI> parseHostPorts(String list) {
        List<URI> out = new ArrayList<>();
        for (String part : list.split(",")) {
            String p = part.trim();
            // https:// is kept (a client trusting the JDK's CAs then reaches a master with a public certificate);
            // a client given the cluster's CA goes over https whatever the scheme.
            String scheme = p.regionMatches(true, 0, "https://", 0, 8) ? "https" : "http";
            if (p.regionMatches(true, 0, scheme + "://", 0, scheme.length() + 3)) {
                p = p.substring(scheme.length() + 3);
            }
            while (p.endsWith("/")) {
                p = p.substring(0, p.length() - 1);
            }
            if (p.isEmpty()) {
                continue;
            }
            String host = p;
            int port = DEFAULT_PORT;
            int colon = p.lastIndexOf(':');
            if (colon >= 0) {
                host = p.substring(0, colon);
                try {
                    port = Integer.parseInt(p.substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("bad port in master address '" + part.trim() + "'");
                }
                if (port <= 0 || port > 65535) {
                    throw new IllegalArgumentException("port out of range in master address '" + part.trim() + "'");
                }
            }
            if (host.isEmpty()) {
                throw new IllegalArgumentException("missing host in master address '" + part.trim() + "'");
            }
            out.add(URI.create(scheme + "://" + host + ":" + port));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no master address in '" + list + "'");
        }
        return out;
    }
}
