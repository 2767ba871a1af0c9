package dev.tower.hadoop.yarn;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where a ResourceManager listens: its host and the five ports the bridge took from the offer it runs on. The RM
 * task carries them in its environment ({@link #environment()}), which is how {@code tower yarn client-config} and
 * {@code tower yarn status} find them through Tower's task list.
 */
public record ResourceManagerEndpoints(String host, int clientPort, int schedulerPort, int trackerPort, int adminPort,
                                       int webPort) {
    static final String CLIENT = "TOWER_YARN_RM_ADDRESS";
    static final String SCHEDULER = "TOWER_YARN_RM_SCHEDULER_ADDRESS";
    static final String TRACKER = "TOWER_YARN_RM_RESOURCE_TRACKER_ADDRESS";
    static final String ADMIN = "TOWER_YARN_RM_ADMIN_ADDRESS";
    static final String WEB = "TOWER_YARN_RM_WEBAPP_ADDRESS";

    public static final int PORTS = 5;

    public static ResourceManagerEndpoints of(String host, List<Integer> ports) {
        if (ports.size() != PORTS) {
            throw new IllegalArgumentException("a ResourceManager needs " + PORTS + " ports, got " + ports);
        }
        return new ResourceManagerEndpoints(host, ports.get(0), ports.get(1), ports.get(2), ports.get(3), ports.get(4));
    }

    public String clientAddress() {
        return host + ":" + clientPort;
    }

    public String schedulerAddress() {
        return host + ":" + schedulerPort;
    }

    public String trackerAddress() {
        return host + ":" + trackerPort;
    }

    public String adminAddress() {
        return host + ":" + adminPort;
    }

    public String webAddress() {
        return host + ":" + webPort;
    }

    public String webUrl() {
        return "http://" + webAddress();
    }

    /** The yarn-site.xml settings that point anything (daemon, bridge, client) at this ResourceManager. */
    public Map<String, String> yarnSite() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("yarn.resourcemanager.hostname", host);
        m.put("yarn.resourcemanager.address", clientAddress());
        m.put("yarn.resourcemanager.scheduler.address", schedulerAddress());
        m.put("yarn.resourcemanager.resource-tracker.address", trackerAddress());
        m.put("yarn.resourcemanager.admin.address", adminAddress());
        m.put("yarn.resourcemanager.webapp.address", webAddress());
        return m;
    }

    public Map<String, String> environment() {
        return Map.of(CLIENT, clientAddress(), SCHEDULER, schedulerAddress(), TRACKER, trackerAddress(),
                ADMIN, adminAddress(), WEB, webAddress());
    }

    /** The endpoints a ResourceManager task's environment names, if it names them all. */
    public static Optional<ResourceManagerEndpoints> fromEnvironment(Map<String, String> env) {
        String client = env.get(CLIENT);
        if (client == null || !env.containsKey(SCHEDULER) || !env.containsKey(TRACKER) || !env.containsKey(ADMIN)
                || !env.containsKey(WEB)) {
            return Optional.empty();
        }
        int colon = client.lastIndexOf(':');
        return Optional.of(new ResourceManagerEndpoints(client.substring(0, colon),
                port(client), port(env.get(SCHEDULER)), port(env.get(TRACKER)), port(env.get(ADMIN)),
                port(env.get(WEB))));
    }

    private static int port(String hostPort) {
        return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
    }
}
