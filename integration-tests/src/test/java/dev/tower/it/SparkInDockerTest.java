package dev.tower.it;

import dev.tower.api.operator.TaskView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Spark executors in Docker containers ({@code spark.tower.executor.docker.image}): a Java image made from the local
 * JDK, the driver's Spark home mounted read-only at the same path (the agent allows it), the agent's network.
 */
@ExtendWith(LogsOnFailure.class)
class SparkInDockerTest {
    static final String IMAGE = "tower/jvm:it";
    private static final Path SPARK_HOME = SparkOnTowerTest.SPARK_HOME;

    private Cluster cluster;

    @BeforeEach
    void start() throws IOException {
        var why = DockerEngine.unavailable();
        Assumptions.assumeTrue(why.isEmpty(), () -> "SKIPPED: " + why.orElse(""));
        assertThat(SPARK_HOME.resolve("bin/spark-submit")).as("the reactor builds spark-backend first").isExecutable();
        DockerEngine.importJvm(IMAGE);
        cluster = Cluster.start("spark-docker", 0, "60s");
        cluster.startAgent("cpus:4;mem:4096", cluster.master(),
                List.of("--docker-allow-volume", SPARK_HOME.toRealPath().toString()));
        cluster.awaitActiveAgents(1);
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void piRunsOnExecutorsInContainers() throws Exception {
        String home = SPARK_HOME.toRealPath().toString();
        List<String> cmd = new ArrayList<>(List.of(SPARK_HOME.resolve("bin/spark-submit").toString(),
                "--master", "spark+tower://" + cluster.master(),
                "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.ui.enabled=false",
                "--executor-memory", "512m", "--driver-memory", "512m",
                "--total-executor-cores", "2", "--executor-cores", "1",
                "--conf", "spark.tower.executor.docker.image=" + IMAGE,
                "--conf", "spark.tower.executor.docker.volumes=" + home + ":" + home,
                "--class", "dev.tower.spark.examples.Pi", SparkOnTowerTest.EXAMPLES.toString(), "4"));
        TowerProcess driver = cluster.spawnCommand("spark-pi-docker", cmd, Map.of("SPARK_HOME", home));

        await("two executors in containers").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                .until(() -> executors().stream().filter(t -> !DockerEngine.containersOf(t.taskId()).isEmpty())
                        .count() == 2 || !driver.process().isAlive());
        assertThat(driver.process().waitFor(3, TimeUnit.MINUTES)).as("spark-submit ends").isTrue();
        assertThat(driver.process().exitValue()).as(driver.tail(60)).isZero();
        assertThat(Files.readString(driver.stdout())).contains("Pi is roughly 3.14");
        assertThat(executors()).hasSize(2).allSatisfy(t -> {
            assertThat(t.container()).as("container of %s", t.taskId()).isNotNull();
            assertThat(t.container().image()).isEqualTo(IMAGE);
        });
        await("executor containers removed").atMost(Duration.ofSeconds(60))
                .until(() -> executors().stream().allMatch(t -> DockerEngine.containersOf(t.taskId()).isEmpty()));
    }

    private List<TaskView> executors() {
        return cluster.tasks().stream()
                .filter(t -> t.command() != null && String.valueOf(t.command()).contains("CoarseGrainedExecutorBackend"))
                .toList();
    }
}
