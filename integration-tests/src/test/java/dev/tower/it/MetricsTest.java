package dev.tower.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code GET /metrics} of a real master and agent, parsed strictly ({@link PrometheusText}): well-formed, and the
 * counters move when tasks run.
 */
@ExtendWith(LogsOnFailure.class)
class MetricsTest {
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final int TASKS = 3;
    private static Cluster cluster;
    private static URI agentMetrics;

    @BeforeAll
    static void startCluster() {
        cluster = Cluster.start("metrics", 1, "5s");
        agentMetrics = URI.create("http://127.0.0.1:" + cluster.agentPort(cluster.process("agent1")) + "/metrics");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void countersMoveWhenTasksRun() {
        // The master counts the agent ACTIVE once it has sent SUBSCRIBED; the agent, once it has read it.
        await("the agent's own view of its subscription").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> scrape(agentMetrics).require("tower_agent_master_connected") == 1);
        PrometheusText master = scrape(cluster.uri("/metrics"));
        PrometheusText agent = scrape(agentMetrics);
        assertThat(master.require("tower_master_leader")).isEqualTo(1);
        assertThat(master.require("tower_master_agents", "state", "ACTIVE")).isEqualTo(1);
        assertThat(master.require("tower_master_cpus_capacity")).isEqualTo(4);
        assertThat(master.require("tower_master_memory_capacity_bytes")).isEqualTo(4096.0 * 1024 * 1024);
        assertThat(master.require("tower_master_streams", "kind", "agent")).isEqualTo(1);
        assertThat(master.require("jvm_memory_used_bytes", "area", "heap")).isPositive();
        assertThat(agent.require("tower_agent_master_connected")).isEqualTo(1);
        assertThat(agent.require("tower_agent_cpus_capacity")).isEqualTo(4);
        assertThat(agent.require("tower_agent_containerizer_enabled", "containerizer", "process")).isEqualTo(1);
        assertThat(agent.require("jvm_memory_used_bytes", "area", "heap")).isPositive();

        Cluster.CliResult r = cluster.cli(Duration.ofSeconds(60), "run", "-m", cluster.master(),
                "--cpus", "0.5", "--mem", "64", "--instances", String.valueOf(TASKS), "--", "true");
        assertThat(r.exitCode()).as("stdout: %s%nstderr: %s", r.stdout(), r.stderr()).isZero();

        // The CLI returns once the framework saw every FINISHED; the agent counts exits as it sees them.
        await("master and agent metrics after " + TASKS + " tasks").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                    PrometheusText m = scrape(cluster.uri("/metrics"));
                    assertThat(m.require("tower_master_offers_made_total"))
                            .isGreaterThan(master.require("tower_master_offers_made_total"));
                    assertThat(m.require("tower_master_task_status_updates_total", "state", "FINISHED"))
                            .isEqualTo(master.require("tower_master_task_status_updates_total", "state", "FINISHED")
                                    + TASKS);
                    assertThat(m.require("tower_master_task_status_updates_total", "state", "RUNNING"))
                            .isEqualTo(master.require("tower_master_task_status_updates_total", "state", "RUNNING")
                                    + TASKS);
                    assertThat(m.require("tower_master_status_update_latency_seconds_count"))
                            .isGreaterThanOrEqualTo(master.require("tower_master_status_update_latency_seconds_count")
                                    + 2 * TASKS);
                    assertThat(m.require("tower_master_allocation_cycle_seconds_count"))
                            .isGreaterThan(master.require("tower_master_allocation_cycle_seconds_count"));
                    assertThat(m.require("tower_master_core_command_seconds_count", "command", "scheduler_accept"))
                            .isPositive();
                    assertThat(m.require("tower_master_tasks", "state", "FINISHED")).isGreaterThanOrEqualTo(TASKS);
                    assertThat(m.require("tower_master_tasks", "state", "RUNNING")).isZero();

                    PrometheusText a = scrape(agentMetrics);
                    assertThat(a.require("tower_agent_task_launches_total"))
                            .isEqualTo(agent.require("tower_agent_task_launches_total") + TASKS);
                    assertThat(a.require("tower_agent_task_launch_seconds_count"))
                            .isEqualTo(agent.require("tower_agent_task_launch_seconds_count") + TASKS);
                    assertThat(a.require("tower_agent_task_exits_total", "reason", "exit_zero"))
                            .isEqualTo(agent.require("tower_agent_task_exits_total", "reason", "exit_zero") + TASKS);
                    assertThat(a.require("tower_agent_tasks", "state", "RUNNING")).isZero();
                    assertThat(a.require("tower_agent_cpus_used")).isZero();
                });
    }

    /** GETs {@code uri}, checks the status and content type, and parses the body strictly. */
    private static PrometheusText scrape(URI uri) {
        HttpResponse<String> r = cluster.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build());
        assertThat(r.statusCode()).as("GET %s: %s", uri, r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).as("GET %s", uri).hasValue(CONTENT_TYPE);
        return PrometheusText.parse(r.body());
    }
}
