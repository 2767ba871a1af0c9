package dev.tower.agent.task;

import dev.tower.agent.metrics.AgentMetrics;
import dev.tower.agent.metrics.FixedAgentStatus;
import dev.tower.agent.metrics.Scrape;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.CommandInfo.FetchUri;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.tower.agent.metrics.Scrape.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What the supervisor reports to the agent's metrics as real processes start and end. */
class LaunchMetricsTest {
    private static final FrameworkInfo FW = FrameworkInfo.named("test", "*").withId("fw1");

    @TempDir
    Path workDir;
    private final AgentMetrics metrics = new AgentMetrics(FixedAgentStatus.idle());
    private SupervisorHarness h;

    @AfterEach
    void tearDown() {
        h.close();
    }

    @Test
    void launchesAreTimedAndExitsCountedByReason() {
        h = new SupervisorHarness(workDir, metrics);
        run("ok", CommandInfo.shell("exit 0"));
        run("bad", CommandInfo.shell("exit 3"));
        run("unfetchable", new CommandInfo(true, "true", null, null,
                List.of(FetchUri.of("file:///nonexistent/tower-test.tgz")), null, null));
        String text = Scrape.text(metrics);
        assertThat(value(text, "tower_agent_task_launches_total")).isEqualTo(3);
        assertThat(value(text, "tower_agent_task_launch_seconds_count")).isEqualTo(2);
        assertThat(value(text, "tower_agent_task_launch_seconds_sum")).isPositive();
        assertThat(value(text, "tower_agent_task_launch_failures_total{reason=\"fetch\"}")).isEqualTo(1);
        assertThat(value(text, "tower_agent_task_exits_total{reason=\"exit_zero\"}")).isEqualTo(1);
        assertThat(value(text, "tower_agent_task_exits_total{reason=\"exit_nonzero\"}")).isEqualTo(1);
    }

    @Test
    void aKilledTaskIsCountedAsKilled() {
        h = new SupervisorHarness(workDir, metrics);
        h.supervisor.run("fw1", FW, TaskInfo.of("sleeper", Resources.EMPTY, CommandInfo.shell("sleep 60")));
        await().atMost(Duration.ofSeconds(10)).until(() -> h.states("sleeper").contains(dev.tower.api.model.TaskState.RUNNING));
        h.supervisor.kill("fw1", "sleeper", 0.1);
        await().atMost(Duration.ofSeconds(10)).until(() -> h.ended("sleeper"));
        assertThat(value(Scrape.text(metrics), "tower_agent_task_exits_total{reason=\"killed\"}")).isEqualTo(1);
    }

    private void run(String taskId, CommandInfo command) {
        h.supervisor.run("fw1", FW, TaskInfo.of(taskId, Resources.EMPTY, command));
        await().atMost(Duration.ofSeconds(10)).until(() -> h.ended(taskId));
    }
}
