package dev.tower.hadoop.yarn;

/**
 * A NodeManager as the ResourceManager sees it ({@code /ws/v1/cluster/nodes}).
 *
 * @param id       the node id, {@code host:port} of its container manager
 * @param capacity what the scheduler may place on it now (used + available)
 * @param used     what its containers hold
 */
public record NodeReport(String id, String state, Capacity capacity, Capacity used, int containers) {

    public int port() {
        return Integer.parseInt(id.substring(id.lastIndexOf(':') + 1));
    }

    public String host() {
        return id.substring(0, id.lastIndexOf(':'));
    }

    public boolean running() {
        return "RUNNING".equals(state);
    }

    public Capacity free() {
        return capacity.minus(used);
    }
}
