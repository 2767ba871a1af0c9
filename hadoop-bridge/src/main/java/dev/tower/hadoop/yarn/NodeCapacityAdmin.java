package dev.tower.hadoop.yarn;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.ipc.RPC;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.api.records.Resource;
import org.apache.hadoop.yarn.api.records.ResourceOption;
import org.apache.hadoop.yarn.client.ClientRMProxy;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.exceptions.YarnException;
import org.apache.hadoop.yarn.server.api.ResourceManagerAdministrationProtocol;
import org.apache.hadoop.yarn.server.api.protocolrecords.UpdateNodeResourceRequest;

import java.io.IOException;
import java.util.Map;

/**
 * Sets a running NodeManager's capability through YARN's public admin protocol
 * ({@code ResourceManagerAdministrationProtocol.updateNodeResource}), the same call {@code yarn rmadmin
 * -updateNodeResource} makes. The scheduler uses grown capacity at the node's next heartbeat.
 */
public final class NodeCapacityAdmin implements AutoCloseable {
    /** Containers above a shrunk capability run on until they end. */
    public static final int KEEP_RUNNING = -1;
    /** Containers above a shrunk capability are killed at once. */
    public static final int PREEMPT = 0;

    private final ResourceManagerAdministrationProtocol admin;

    public NodeCapacityAdmin(ResourceManagerEndpoints rm) throws IOException {
        Configuration conf = new YarnConfiguration();
        rm.yarnSite().forEach(conf::set);
        // The bridge checks the ResourceManager's web API first; a call that cannot connect should fail soon.
        conf.setLong(YarnConfiguration.RESOURCEMANAGER_CONNECT_MAX_WAIT_MS, 10_000);
        conf.setLong(YarnConfiguration.RESOURCEMANAGER_CONNECT_RETRY_INTERVAL_MS, 500);
        this.admin = ClientRMProxy.createRMProxy(conf, ResourceManagerAdministrationProtocol.class);
    }

    /**
     * @param overcommitTimeoutSeconds what happens to containers above a smaller capability: {@link #KEEP_RUNNING}
     *                                 or killed after this many seconds ({@link #PREEMPT} at once)
     */
    public void set(String nodeId, Capacity capacity, int overcommitTimeoutSeconds) throws IOException {
        Resource resource = Resource.newInstance(capacity.memoryMb(), capacity.vcores());
        UpdateNodeResourceRequest request = UpdateNodeResourceRequest.newInstance(
                Map.of(NodeId.fromString(nodeId), ResourceOption.newInstance(resource, overcommitTimeoutSeconds)));
        try {
            admin.updateNodeResource(request);
        } catch (YarnException e) {
            throw new IOException("updateNodeResource " + nodeId + " " + capacity + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        RPC.stopProxy(admin);
    }
}
