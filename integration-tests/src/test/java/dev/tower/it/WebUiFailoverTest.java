package dev.tower.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The web UI with three highly available masters, in a real headless Chromium: a standby's address leads to the
 * leader's page, and when the leader is killed the open page moves to the new leader by itself, on the same view.
 */
@ExtendWith(LogsOnFailure.class)
class WebUiFailoverTest {
    private static HaCluster ha;
    private static Browser browser;

    @BeforeAll
    static void start() throws Exception {
        Browser.assumeInstalled();
        ha = HaCluster.start("webui-ha", 3, 1, "2s", "10s");
        browser = Browser.start();
    }

    @AfterAll
    static void stop() {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (ha != null) {
                ha.close();
            }
        }
    }

    @Test
    void aStandbySendsTheBrowserToTheLeaderAndAnOpenPageFollowsTheNextLeader() {
        HaCluster.MasterNode leader = ha.leader().orElseThrow();
        HaCluster.MasterNode standby = ha.masters().stream().filter(m -> m.index() != leader.index()).findFirst()
                .orElseThrow();

        browser.open(URI.create("http://" + standby.address() + "/agents"));

        await("the leader's agents page").atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
            assertThat(URI.create(browser.driver().getCurrentUrl()).getPort()).isEqualTo(leader.port());
            assertThat(browser.path()).isEqualTo("/agents");
            assertThat(browser.all("a[href^='/agents/agent-']")).hasSize(1);
        });
        await("the masters' list remembered by the page").atMost(Duration.ofSeconds(15)).until(() ->
                String.valueOf(browser.driver().executeScript("return localStorage.getItem('tower.masters');"))
                        .contains(standby.address()));
        browser.screenshot("ha-leader");

        long epoch = ha.epoch(leader);
        ha.kill(leader);
        HaCluster.MasterNode next = ha.awaitNewLeader(leader, epoch, Duration.ofSeconds(30));

        await("the page on the new leader").atMost(Duration.ofSeconds(45)).ignoreExceptions().untilAsserted(() -> {
            assertThat(URI.create(browser.driver().getCurrentUrl()).getPort()).isEqualTo(next.port());
            assertThat(browser.path()).isEqualTo("/agents");
            assertThat(browser.all("a[href^='/agents/agent-']")).hasSize(1);
            assertThat(browser.text("#master-text")).contains("leader " + next.address());
        });
        browser.screenshot("ha-after-failover");
    }
}
