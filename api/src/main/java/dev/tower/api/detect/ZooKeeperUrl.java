package dev.tower.api.detect;

/**
 * A ZooKeeper master URL, {@code zk://host:port[,host:port]/path}, and where Tower keeps its nodes below
 * {@code path}:
 * <pre>
 *   path/leader/election/   Curator LeaderLatch nodes, one per master
 *   path/leader/current     LeaderInfo of the elected master (ephemeral, JSON)
 *   path/registry/...       the durable registry (agents, frameworks, weights), written by the leader only
 * </pre>
 *
 * @param connectString {@code host:port,host:port} for the ZooKeeper client
 * @param root the path below which Tower keeps its nodes, e.g. {@code /tower}
 */
public record ZooKeeperUrl(String connectString, String root) {
    public static final String PREFIX = "zk://";
    public static final String DEFAULT_ROOT = "/tower";

    /**
     * Parses {@code zk://h1:2181,h2:2181/tower}; the {@code zk://} prefix may be left out, and so may the path
     * ({@value #DEFAULT_ROOT}). Throws {@link IllegalArgumentException} naming the bad part.
     */
    public static ZooKeeperUrl parse(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("ZooKeeper URL is empty; expected zk://host:port[,host:port]/path");
        }
        String u = url.trim();
        if (u.startsWith(PREFIX)) {
            u = u.substring(PREFIX.length());
        }
        int slash = u.indexOf('/');
        String hosts = slash < 0 ? u : u.substring(0, slash);
        String root = slash < 0 ? DEFAULT_ROOT : u.substring(slash);
        while (root.length() > 1 && root.endsWith("/")) {
            root = root.substring(0, root.length() - 1);
        }
        if (root.equals("/") || root.contains("//")) {
            throw new IllegalArgumentException("bad path '" + root + "' in ZooKeeper URL '" + url.trim()
                    + "'; expected a path like /tower");
        }
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("no ZooKeeper server in '" + url.trim()
                    + "'; expected zk://host:port[,host:port]/path");
        }
        StringBuilder connect = new StringBuilder();
        for (String part : hosts.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int colon = p.lastIndexOf(':');
            String host = colon < 0 ? p : p.substring(0, colon);
            int port = 2181;
            if (colon >= 0) {
                try {
                    port = Integer.parseInt(p.substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("bad port in ZooKeeper server '" + p + "'");
                }
            }
            if (host.isEmpty() || port <= 0 || port > 65535) {
                throw new IllegalArgumentException("bad ZooKeeper server '" + p + "'; expected host:port");
            }
            if (connect.length() > 0) {
                connect.append(',');
            }
            connect.append(host).append(':').append(port);
        }
        if (connect.length() == 0) {
            throw new IllegalArgumentException("no ZooKeeper server in '" + url.trim() + "'");
        }
        return new ZooKeeperUrl(connect.toString(), root);
    }

    public static boolean isZooKeeper(String url) {
        return url != null && url.trim().startsWith(PREFIX);
    }

    public String electionPath() {
        return root + "/leader/election";
    }

    public String leaderPath() {
        return root + "/leader/current";
    }

    /** Where every master, leading or not, announces its address (an ephemeral node per master). */
    public String mastersPath() {
        return root + "/masters";
    }

    public String registryPath() {
        return root + "/registry";
    }

    @Override
    public String toString() {
        return PREFIX + connectString + root;
    }
}
