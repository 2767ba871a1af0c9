package dev.tower.hadoop.yarn;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ResourceManagerWebTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void readsTheDocumentedShape() throws Exception {
        var metrics = JSON.readTree("{\"clusterMetrics\":{\"containersPending\":3,\"pendingMB\":1536,"
                + "\"pendingVirtualCores\":3}}");
        assertThat(ResourceManagerWeb.demand(metrics)).isEqualTo(new ClusterDemand(3, 1536, 3));
        var nodes = JSON.readTree("{\"nodes\":{\"node\":[{\"id\":\"h1:31005\",\"state\":\"RUNNING\","
                + "\"usedMemoryMB\":512,\"availMemoryMB\":1024,\"usedVirtualCores\":1,\"availableVirtualCores\":2,"
                + "\"numContainers\":1}]}}");
        assertThat(ResourceManagerWeb.nodes(nodes)).containsExactly(new NodeReport("h1:31005", "RUNNING",
                new Capacity(1536, 3), new Capacity(512, 1), 1));
    }

    @Test
    void readsTheBeanPropertyShapeOfAResourceManagerOnANewerJackson() throws Exception {
        var metrics = JSON.readTree("{\"pendingContainers\":2,\"pendingMB\":1024,\"pendingVirtualCores\":2}");
        assertThat(ResourceManagerWeb.demand(metrics)).isEqualTo(new ClusterDemand(2, 1024, 2));
        var nodes = JSON.readTree("{\"nodes\":[{\"nodeId\":\"localhost:32000\",\"state\":\"RUNNING\","
                + "\"usedMemory\":0,\"availableMemory\":512,\"usedVirtualCores\":0,\"availableVirtualCores\":1,"
                + "\"numContainers\":0}]}");
        NodeReport n = ResourceManagerWeb.nodes(nodes).get(0);
        assertThat(n.id()).isEqualTo("localhost:32000");
        assertThat(n.port()).isEqualTo(32000);
        assertThat(n.capacity()).isEqualTo(new Capacity(512, 1));
        assertThat(ResourceManagerWeb.nodes(JSON.readTree("{\"nodes\":null}"))).isEmpty();
    }

    @Test
    void anOvercommittedNodesCapabilityIsUsedPlusNegativeAvailable() throws Exception {
        var nodes = JSON.readTree("{\"nodes\":[{\"nodeId\":\"h:1\",\"state\":\"RUNNING\",\"usedMemory\":1536,"
                + "\"availableMemory\":-512,\"usedVirtualCores\":3,\"availableVirtualCores\":-1}]}");
        NodeReport n = ResourceManagerWeb.nodes(nodes).get(0);
        assertThat(n.capacity()).isEqualTo(new Capacity(1024, 2));
        assertThat(n.free()).isEqualTo(Capacity.ZERO);
    }

    @Test
    void averageWaitingContainerRoundsUp() {
        assertThat(new ClusterDemand(3, 1537, 2).averageContainer()).isEqualTo(new Capacity(513, 1));
        assertThat(ClusterDemand.NONE.averageContainer()).isEqualTo(Capacity.ZERO);
    }
}
