package dev.tower.manager;

import dev.tower.api.detect.ZooKeeperUrl;
import dev.tower.manager.core.MasterConfig;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.tower.manager.metrics.Exposition.sample;
import static dev.tower.manager.metrics.Exposition.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code GET /metrics} as served by a leading master and by a standby, two masters in one JVM. */
class MetricsEndpointTest {
    private static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path workDir;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    @Test
    void aLeaderReportsItsCoreAndItsJvm() throws Exception {
        Master m = start(null);
        HttpResponse<String> r = get(m, "/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        String text = r.body();
        assertThat(value(text, "tower_master_leader")).isEqualTo(1);
        assertThat(value(text, "tower_master_epoch")).isZero();
        assertThat(value(text, "tower_master_tasks{state=\"RUNNING\"}")).isZero();
        assertThat(value(text, "tower_master_agents{state=\"ACTIVE\"}")).isZero();
        assertThat(value(text, "tower_master_streams{kind=\"framework\"}")).isZero();
        assertThat(value(text, "tower_master_event_streams")).isZero();
        assertThat(value(text, "tower_master_offers_made_total")).isZero();
        assertThat(value(text, "jvm_threads_current")).isPositive();
        // Ticks run every allocation interval from the start, and each is timed.
        await().atMost(Duration.ofSeconds(10)).until(() ->
                value(get(m, "/metrics").body(), "tower_master_allocation_cycle_seconds_count") >= 1);
    }

    @Test
    void twoMastersInOneJvmKeepTheirOwnRegistries() throws Exception {
        Master a = start(null);
        Master b = start(null);
        // Scraping b runs a Query through b's core only.
        for (int i = 0; i < 3; i++) {
            get(b, "/metrics");
        }
        assertThat(value(get(b, "/metrics").body(), "tower_master_core_command_seconds_count{command=\"query\"}"))
                .isGreaterThanOrEqualTo(3);
        assertThat(value(get(a, "/metrics").body(), "tower_master_core_command_seconds_count{command=\"query\"}"))
                .isLessThan(3);
    }

    @Test
    void aStandbyAnswersMetricsItselfAndRedirectsTheRest() throws Exception {
        TestingServer zk = new TestingServer(true);
        open.add(zk);
        ZooKeeperUrl url = ZooKeeperUrl.parse("zk://" + zk.getConnectString() + "/metrics-test");
        Master first = start(url);
        await().atMost(Duration.ofSeconds(20)).until(first::isLeader);
        Master standby = start(url);
        await().atMost(Duration.ofSeconds(20)).until(() -> standby.leaderAddress().isPresent());

        HttpResponse<String> r = get(standby, "/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(value(r.body(), "tower_master_leader")).isZero();
        assertThat(sample(r.body(), "tower_master_tasks{state=\"RUNNING\"}")).isEmpty();
        assertThat(sample(r.body(), "tower_master_epoch")).isEmpty();
        assertThat(value(r.body(), "jvm_threads_current")).isPositive();
        assertThat(get(standby, "/api/v1/state").statusCode()).isEqualTo(307);
        assertThat(value(get(first, "/metrics").body(), "tower_master_leader")).isEqualTo(1);
    }

    private Master start(ZooKeeperUrl zk) {
        MasterOptions options = MasterOptions.defaults(workDir).withHosts("127.0.0.1", "127.0.0.1").withPort(0)
                .withCore(MasterConfig.defaults());
        Master m = Master.start(zk == null ? options : options.withZooKeeper(zk, Duration.ofSeconds(10)));
        open.add(m);
        return m;
    }

    private static HttpResponse<String> get(Master m, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + m.address() + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
