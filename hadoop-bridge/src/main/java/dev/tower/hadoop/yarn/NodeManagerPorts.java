package dev.tower.hadoop.yarn;

import java.util.List;

/**
 * The four ports a NodeManager listens on, taken from its offer so that several NodeManagers can share a host:
 * container management RPC (part of the node's id, {@code host:rpc}), localizer, web UI and MapReduce shuffle.
 */
public record NodeManagerPorts(int rpc, int localizer, int web, int shuffle) {
    public static final int PORTS = 4;

    public static NodeManagerPorts of(List<Integer> ports) {
        if (ports.size() != PORTS) {
            throw new IllegalArgumentException("a NodeManager needs " + PORTS + " ports, got " + ports);
        }
        return new NodeManagerPorts(ports.get(0), ports.get(1), ports.get(2), ports.get(3));
    }
}
