package dev.tower.api.detect;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ZooKeeperUrlTest {
    @Test
    void parsesServersAndPath() {
        ZooKeeperUrl u = ZooKeeperUrl.parse("zk://h1:2181, h2:2182/tower/prod/");
        assertThat(u.connectString()).isEqualTo("h1:2181,h2:2182");
        assertThat(u.root()).isEqualTo("/tower/prod");
        assertThat(u.leaderPath()).isEqualTo("/tower/prod/leader/current");
        assertThat(u.electionPath()).isEqualTo("/tower/prod/leader/election");
        assertThat(u).hasToString("zk://h1:2181,h2:2182/tower/prod");
    }

    @Test
    void defaultsPortAndPath() {
        ZooKeeperUrl u = ZooKeeperUrl.parse("zk1,zk2:2999");
        assertThat(u.connectString()).isEqualTo("zk1:2181,zk2:2999");
        assertThat(u.root()).isEqualTo("/tower");
    }

    @Test
    void namesTheBadPart() {
        assertThatThrownBy(() -> ZooKeeperUrl.parse("zk://h1:abc/tower")).hasMessageContaining("h1:abc");
        assertThatThrownBy(() -> ZooKeeperUrl.parse("zk:///tower")).hasMessageContaining("no ZooKeeper server");
        assertThatThrownBy(() -> ZooKeeperUrl.parse("zk://h1:2181/")).hasMessageContaining("bad path");
        assertThatThrownBy(() -> ZooKeeperUrl.parse(" ")).hasMessageContaining("empty");
    }
}
