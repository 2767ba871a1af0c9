package dev.tower.cli.cluster;

import dev.tower.api.client.MasterHttp;
import dev.tower.api.codec.Json;
import dev.tower.api.detect.MasterUrls;
import dev.tower.api.model.Resources;
import dev.tower.manager.Master;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code tower up --masters 3}: an embedded ZooKeeper elects one of three masters, and agents follow the leader. */
class LocalClusterTest {
    @TempDir
    Path dir;

    @Test
    void threeMastersElectOneAndAgentsFollowTheNextLeader() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 0, 3, 0, 2, Resources.cpusMem(1, 256), Map.of())) {
            assertThat(cluster.awaitAgents(Duration.ofSeconds(30))).isTrue();
            assertThat(cluster.masters()).hasSize(3);
            assertThat(cluster.masters().stream().filter(Master::isLeader)).hasSize(1);
            assertThat(cluster.masterUrl()).startsWith("zk://127.0.0.1:").endsWith("/tower");

            Master first = cluster.leader().orElseThrow();
            long firstEpoch = first.epoch();
            first.close();

            await("another master leads").atMost(Duration.ofSeconds(30))
                    .until(() -> cluster.masters().stream().anyMatch(m -> m != first && m.isLeader()));
            Master next = cluster.leader().orElseThrow();
            assertThat(next.epoch()).isGreaterThan(firstEpoch);
            MasterHttp http = new MasterHttp(MasterUrls.detector(next.address()));
            await("both agents ACTIVE at the new leader").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> Json.mapper().readTree(http.get("/api/v1/agents")).findValuesAsText("state")
                            .stream().filter("ACTIVE"::equals).count() == 2);
        }
    }

    @Test
    void oneMasterNeedsNoZooKeeper() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(dir, 0, 1, Resources.cpusMem(1, 256), Map.of())) {
            assertThat(cluster.awaitAgents(Duration.ofSeconds(30))).isTrue();
            assertThat(cluster.masterUrl()).isEqualTo("http://" + cluster.master().address());
            assertThat(cluster.master().isLeader()).isTrue();
        }
    }
}
