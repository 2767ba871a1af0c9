package dev.tower.agent.metrics;

import dev.tower.agent.http.AgentHttpServer;
import dev.tower.agent.http.AgentStateView;
import dev.tower.agent.sandbox.Sandboxes;
import dev.tower.agent.isolation.TaskUsage;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.tower.agent.metrics.Scrape.value;
import static org.assertj.core.api.Assertions.assertThat;

class AgentMetricsTest {
    @TempDir
    Path workDir;

    @Test
    void gaugesShowTheAgentAsItIsWhenScraped() {
        AgentMetrics m = new AgentMetrics(new FixedAgentStatus(
                List.of(TaskState.RUNNING, TaskState.RUNNING, TaskState.FINISHED),
                Resources.cpusMem(4, 4096).plus(Resources.scalars(Map.of(Resources.GPUS, 1.0, Resources.DISK, 100.0))),
                Resources.cpusMem(1.5, 512), 2, List.of("docker", "process"), false));
        String text = Scrape.text(m);
        assertThat(value(text, "tower_agent_tasks{state=\"RUNNING\"}")).isEqualTo(2);
        assertThat(value(text, "tower_agent_tasks{state=\"FINISHED\"}")).isEqualTo(1);
        assertThat(value(text, "tower_agent_tasks{state=\"FAILED\"}")).isZero();
        assertThat(value(text, "tower_agent_cpus_capacity")).isEqualTo(4);
        assertThat(value(text, "tower_agent_cpus_used")).isEqualTo(1.5);
        assertThat(value(text, "tower_agent_gpus_capacity")).isEqualTo(1);
        assertThat(value(text, "tower_agent_memory_capacity_bytes")).isEqualTo(4096.0 * 1024 * 1024);
        assertThat(value(text, "tower_agent_memory_used_bytes")).isEqualTo(512.0 * 1024 * 1024);
        assertThat(value(text, "tower_agent_disk_capacity_bytes")).isEqualTo(100.0 * 1024 * 1024);
        assertThat(value(text, "tower_agent_status_updates_unacknowledged")).isEqualTo(2);
        assertThat(value(text, "tower_agent_containerizer_enabled{containerizer=\"docker\"}")).isEqualTo(1);
        assertThat(value(text, "tower_agent_master_connected")).isZero();
        assertThat(value(text, "jvm_threads_current")).isPositive();
    }

    @Test
    void runningTasksUsageIsSummedWithoutATaskLabel() {
        FixedAgentStatus idle = FixedAgentStatus.idle();
        AgentMetrics m = new AgentMetrics(new AgentStatus() {
            @Override
            public List<TaskState> taskStates() {
                return idle.taskStates();
            }

            @Override
            public Resources capacity() {
                return idle.capacity();
            }

            @Override
            public Resources used() {
                return idle.used();
            }

            @Override
            public int unacknowledgedUpdates() {
                return 0;
            }

            @Override
            public List<String> containerizers() {
                return idle.containerizers();
            }

            @Override
            public boolean connected() {
                return true;
            }

            @Override
            public TaskUsage tasksUsage() {
                return new TaskUsage(1.5, 1000, 3, 0.25).plus(new TaskUsage(2, 24, 1, 0.5));
            }
        });
        String text = Scrape.text(m);
        assertThat(value(text, "tower_agent_tasks_cpu_seconds")).isEqualTo(3.5);
        assertThat(value(text, "tower_agent_tasks_memory_bytes")).isEqualTo(1024);
        assertThat(value(text, "tower_agent_tasks_throttled_periods")).isEqualTo(4);
        assertThat(value(text, "tower_agent_tasks_throttled_seconds")).isEqualTo(0.75);
        m.close();
    }

    @Test
    void launchesExitsAndReconnectionsAreCounted() {
        AgentMetrics m = new AgentMetrics(FixedAgentStatus.idle());
        m.runTask();
        m.launched(Duration.ofMillis(30));
        m.runTask();
        m.launchFailed("fetch");
        m.exited("exit_zero");
        m.exited("killed");
        m.subscribed();
        assertThat(value(Scrape.text(m), "tower_agent_master_reconnects_total")).isZero();
        m.subscribed();
        String text = Scrape.text(m);
        assertThat(value(text, "tower_agent_task_launches_total")).isEqualTo(2);
        assertThat(value(text, "tower_agent_task_launch_seconds_count")).isEqualTo(1);
        assertThat(value(text, "tower_agent_task_launch_seconds_bucket{le=\"0.025\"}")).isZero();
        assertThat(value(text, "tower_agent_task_launch_seconds_bucket{le=\"0.05\"}")).isEqualTo(1);
        assertThat(value(text, "tower_agent_task_launch_failures_total{reason=\"fetch\"}")).isEqualTo(1);
        assertThat(value(text, "tower_agent_task_launch_failures_total{reason=\"containerizer\"}")).isZero();
        assertThat(value(text, "tower_agent_task_exits_total{reason=\"exit_zero\"}")).isEqualTo(1);
        assertThat(value(text, "tower_agent_task_exits_total{reason=\"killed\"}")).isEqualTo(1);
        assertThat(value(text, "tower_agent_master_reconnects_total")).isEqualTo(1);
    }

    @Test
    void servedOnTheAgentsPort() throws Exception {
        try (AgentHttpServer server = AgentHttpServer.start(0, new Sandboxes(workDir), () -> new AgentStateView(
                "agent-1", "127.0.0.1", 0, true, null, Map.of(), List.of()),
                new AgentMetrics(FixedAgentStatus.idle()))) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
            assertThat(value(r.body(), "tower_agent_master_connected")).isEqualTo(1);
        }
    }
}
