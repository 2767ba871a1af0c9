package dev.tower.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code tower run} against a real master and two agents: output streamed back, exit code passed through. */
@ExtendWith(LogsOnFailure.class)
class RunCommandTest {
    private static Cluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = Cluster.start("run", 2, "5s");
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void runStreamsOutputAndReturnsTheTaskExitCode() {
        Cluster.CliResult r = cluster.cli(Duration.ofSeconds(40), "run", "-m", cluster.master(),
                "--cpus", "0.5", "--mem", "64", "--", "sh", "-c", "echo hello; exit 3");

        assertThat(r.stdout()).as("stderr: %s", r.stderr()).contains("hello");
        assertThat(r.exitCode()).as("stdout: %s%nstderr: %s", r.stdout(), r.stderr()).isEqualTo(3);
    }

    @Test
    void severalInstancesThatAllSucceedExitZero() {
        Cluster.CliResult r = cluster.cli(Duration.ofSeconds(40), "run", "-m", cluster.master(),
                "--cpus", "0.5", "--mem", "64", "--instances", "3", "--", "true");

        assertThat(r.exitCode()).as("stdout: %s%nstderr: %s", r.stdout(), r.stderr()).isZero();
    }
}
