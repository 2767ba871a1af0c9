package dev.tower.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tower run} on an agent started with {@code --isolation}: a task that goes over its {@code --mem} fails, and
 * the reason reaches the user. Needs writable cgroups (root); elsewhere the agent's memory watchdog ends it the same way.
 */
@ExtendWith(LogsOnFailure.class)
class TaskIsolationTest {
    private static Cluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = Cluster.start("isolation", 0, "5s");
        cluster.startAgent("cpus:4;mem:4096", cluster.master(), List.of("--isolation"));
        cluster.awaitActiveAgents(1);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aTaskOverItsMemoryFailsWithTheReasonShown() {
        // The inner shell grows past 64 MB; the agent ends the whole task (its parent would exit 0) and says why.
        Cluster.CliResult r = cluster.cli(Duration.ofSeconds(60), "run", "-m", cluster.master(),
                "--cpus", "0.5", "--mem", "64", "--", "sh", "-c",
                "sh -c 'x=$(head -c 300000000 /dev/zero | tr \"\\0\" a)'; exit 0");

        assertThat(r.exitCode()).as("stdout: %s%nstderr: %s", r.stdout(), r.stderr()).isNotZero();
        assertThat(r.stderr()).contains("FAILED: memory limit exceeded");
    }

    @Test
    void aRunningTasksUsageIsShownThroughTheMasterAndOnItsPage() throws Exception {
        TowerProcess busy = cluster.cliAsync("run", "-m", cluster.master(), "--name", "busy", "--cpus", "0.5",
                "--mem", "64", "--", "sh", "-c", "while :; do :; done");
        try {
            await("busy RUNNING").atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> cluster.tasks().stream()
                    .anyMatch(t -> t.taskId().equals("busy") && t.state().name().equals("RUNNING")));
            String agentId = cluster.tasks().stream().filter(t -> t.taskId().equals("busy")).findFirst().orElseThrow()
                    .agentId();
            await("CPU seconds counted").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                var usage = Cluster.readTree(cluster.getOk("/api/v1/agents/" + agentId + "/usage?task=busy")).path("usage");
                assertThat(usage.path("cpuSeconds").asDouble()).isGreaterThan(0.5);
                assertThat(usage.path("memoryBytes").asLong()).isPositive();
                assertThat(usage.path("throttledPeriods").asLong()).isPositive();
            });
            if (Browser.installed()) {
                try (Browser browser = Browser.start()) {
                    browser.open(cluster.uri("/tasks/busy"));
                    await("the task page's usage").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                            .untilAsserted(() -> {
                                assertThat(browser.text("#usage-cpu")).matches("\\d+\\.\\d\\d s");
                                assertThat(browser.text("#usage-memory")).endsWith(" MB");
                                assertThat(browser.text("#usage-throttled")).contains("periods");
                            });
                    browser.screenshot("task-usage");
                }
            }
        } finally {
            cluster.cli(Duration.ofSeconds(30), "kill", "-m", cluster.master(), "busy");
            busy.awaitExit(Duration.ofSeconds(30));
        }
    }
}
