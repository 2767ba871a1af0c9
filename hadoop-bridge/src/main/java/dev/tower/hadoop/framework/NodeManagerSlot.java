package dev.tower.hadoop.framework;

import dev.tower.hadoop.yarn.Capacity;
import dev.tower.hadoop.yarn.NodeManagerPorts;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One NodeManager task on one agent and the placeholders that grow it. Its capability in YARN should always be
 * {@link #held()}: the base its own task holds plus every running placeholder.
 */
final class NodeManagerSlot {
    final String taskId;
    final String agentId;
    final String host;
    final NodeManagerPorts ports;
    final Capacity base;
    final Map<String, Placeholder> placeholders = new LinkedHashMap<>();
    boolean running;
    /** The node id the ResourceManager gave it ({@code host:port}), once registered. */
    String nodeId;

    NodeManagerSlot(String taskId, String agentId, String host, NodeManagerPorts ports, Capacity base) {
        this.taskId = taskId;
        this.agentId = agentId;
        this.host = host;
        this.ports = ports;
        this.base = base;
    }

    Capacity held() {
        Capacity c = base;
        for (Placeholder p : placeholders.values()) {
            if (p.held()) {
                c = c.plus(p.capacity);
            }
        }
        return c;
    }

    Capacity promised() {
        Capacity c = base;
        for (Placeholder p : placeholders.values()) {
            if (p.promised()) {
                c = c.plus(p.capacity);
            }
        }
        return c;
    }

    /** Whether placeholders may be added: the NodeManager runs and has registered. */
    boolean growable() {
        return running && nodeId != null;
    }

    /** Newest first: the ones to give back first. */
    List<Placeholder> newestFirst() {
        List<Placeholder> l = new ArrayList<>(placeholders.values());
        java.util.Collections.reverse(l);
        return l;
    }

    Collection<Placeholder> all() {
        return placeholders.values();
    }

    @Override
    public String toString() {
        return taskId + (nodeId == null ? "" : " (" + nodeId + ")");
    }
}
