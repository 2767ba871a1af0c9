package dev.tower.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;

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
}
