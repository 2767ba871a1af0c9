package dev.tower.spark;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TowerMasterUrlTest {
    private final TowerClusterManager manager = new TowerClusterManager();

    @Test
    void claimsOnlySparkPlusTowerUrls() {
        assertThat(manager.canCreate("spark+tower://h1:5050")).isTrue();
        assertThat(manager.canCreate("SPARK+TOWER://h1:5050")).isTrue();
        assertThat(manager.canCreate("spark://h1:7077")).isFalse();
        assertThat(manager.canCreate("local[2]")).isFalse();
        assertThat(manager.canCreate("yarn")).isFalse();
    }

    @Test
    void theRestIsTowersMasterUrl() {
        assertThat(TowerMasterUrl.parse("spark+tower://h1:5050").towerMasters()).isEqualTo("h1:5050");
        assertThat(TowerMasterUrl.parse("spark+tower://h1:5050,h2:5050/").towerMasters()).isEqualTo("h1:5050,h2:5050");
        assertThat(TowerMasterUrl.parse("spark+tower://zk://z1:2181,z2:2181/tower").towerMasters())
                .isEqualTo("zk://z1:2181,z2:2181/tower");
    }

    @Test
    void zooKeeperUrlsAreCheckedAndNormalizedForTheSchedulerClient() {
        assertThat(TowerMasterUrl.parse("spark+tower://zk://z1, z2:2182/tower/prod/").towerMasters())
                .isEqualTo("zk://z1:2181,z2:2182/tower/prod");
        assertThat(TowerMasterUrl.parse("spark+tower://ZK://z1:2181").towerMasters()).isEqualTo("zk://z1:2181/tower");
        assertThat(dev.tower.api.detect.MasterUrls.detector(
                TowerMasterUrl.parse("spark+tower://zk://z1:2181/tower").towerMasters()))
                .isInstanceOf(dev.tower.api.detect.ZooKeeperMasterDetector.class)
                .hasToString("zk://z1:2181/tower");
        assertThatThrownBy(() -> TowerMasterUrl.parse("spark+tower://zk://z1:21x1/tower"))
                .hasMessageContaining("bad port in ZooKeeper server 'z1:21x1'")
                .hasMessageContaining("spark+tower://zk://z1:21x1/tower");
        assertThatThrownBy(() -> TowerMasterUrl.parse("spark+tower://zk:///tower"))
                .hasMessageContaining("no ZooKeeper server");
        assertThatThrownBy(() -> TowerMasterUrl.parse("spark+tower://zk://z1:2181/"))
                .hasMessageContaining("bad path");
    }

    @Test
    void aBadUrlSaysWhatIsWrong() {
        assertThatThrownBy(() -> TowerMasterUrl.parse("spark+tower://")).hasMessageContaining("names no master");
        assertThatThrownBy(() -> TowerMasterUrl.parse("spark+tower://h1:port"))
                .hasMessageContaining("bad port in master address 'h1:port'");
        assertThatThrownBy(() -> TowerMasterUrl.parse("spark://h1:7077")).hasMessageContaining("spark+tower://");
    }

    @Test
    void sparkFindsTheClusterManagerByServiceLoader() {
        assertThat(java.util.ServiceLoader.load(org.apache.spark.scheduler.ExternalClusterManager.class).stream()
                .map(p -> p.type().getName())).contains(TowerClusterManager.class.getName());
    }
}
