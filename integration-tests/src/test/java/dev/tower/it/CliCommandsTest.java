package dev.tower.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.client.SchedulerClient;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.operator.TaskView;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The operator commands of the {@code tower} CLI against a running cluster. */
@ExtendWith(LogsOnFailure.class)
class CliCommandsTest {
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(30);
    private static Cluster cluster;
    private static RecordingScheduler framework;
    private static SchedulerClient client;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.start("cli", 1, "5s");
        framework = new RecordingScheduler();
        client = framework.start(cluster, "cli-test-framework");
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Launches a {@code sleep 600} task and waits until it runs. */
    private static String runningSleeper() {
        String id = "sleeper-" + UUID.randomUUID().toString().substring(0, 8);
        framework.submit(List.of(TaskInfo.of(id, Resources.cpusMem(0.1, 16), CommandInfo.shell("sleep 600"))));
        await(id + " RUNNING").atMost(Duration.ofSeconds(20))
                .until(() -> framework.state(id) == TaskState.RUNNING);
        return id;
    }

    @Test
    void psJsonListsRunningTasks() {
        String id = runningSleeper();

        Cluster.CliResult r = cluster.cli(CLI_TIMEOUT, "ps", "-m", cluster.master(), "--json");

        assertThat(r.exitCode()).as(r.stderr()).isZero();
        JsonNode tasks = Cluster.readTree(r.stdout());
        assertThat(tasks.isArray()).as(r.stdout()).isTrue();
        List<String> running = new ArrayList<>();
        tasks.forEach(t -> {
            if ("RUNNING".equals(t.path("state").asText())) {
                running.add(t.path("taskId").asText());
            }
        });
        assertThat(running).contains(id);
    }

    @Test
    void agentsListsTheAgent() {
        String agentId = cluster.agents().get(0).id();

        Cluster.CliResult r = cluster.cli(CLI_TIMEOUT, "agents", "-m", cluster.master());

        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains(agentId);
    }

    @Test
    void frameworksListsTheFramework() {
        Cluster.CliResult r = cluster.cli(CLI_TIMEOUT, "frameworks", "-m", cluster.master());

        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains(client.frameworkId().orElseThrow()).contains("cli-test-framework");
    }

    @Test
    void killEndsARunningTaskKilled() {
        String id = runningSleeper();

        Cluster.CliResult r = cluster.cli(CLI_TIMEOUT, "kill", "-m", cluster.master(), id);

        assertThat(r.exitCode()).as("stdout: %s%nstderr: %s", r.stdout(), r.stderr()).isZero();
        await(id + " KILLED").atMost(Duration.ofSeconds(20))
                .until(() -> framework.state(id) == TaskState.KILLED);
        assertThat(cluster.tasks()).filteredOn(t -> t.taskId().equals(id)).extracting(TaskView::state)
                .containsExactly(TaskState.KILLED);
    }

    @Test
    void killOfAnUnknownTaskFailsWithOneLine() {
        Cluster.CliResult r = cluster.cli(CLI_TIMEOUT, "kill", "-m", cluster.master(), "nosuchtask");

        assertThat(r.exitCode()).isNotZero();
        String err = r.stderr().strip();
        assertThat(err).isNotEmpty().doesNotContain("\n").contains("nosuchtask");
        assertThat(err).doesNotContain("Exception").doesNotContain("\tat ");
    }
}
