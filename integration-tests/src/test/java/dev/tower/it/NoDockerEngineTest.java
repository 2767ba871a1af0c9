package dev.tower.it;

import dev.tower.api.client.SchedulerClient;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.ContainerInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** An agent whose Docker engine does not answer says so, runs process tasks as ever, and fails Docker tasks clearly. */
@ExtendWith(LogsOnFailure.class)
class NoDockerEngineTest {
    private Cluster cluster;
    private SchedulerClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void processTasksRunAndDockerTasksFailWithTheReason() throws Exception {
        cluster = Cluster.start("no-docker", 0, "10s");
        TowerProcess agent = cluster.startAgent("cpus:2;mem:1024", cluster.master(),
                List.of("--docker-socket", "/nonexistent/docker.sock"));
        cluster.awaitActiveAgents(1);
        assertThat(cluster.agents().get(0).attributes()).containsEntry("containerizers", "process");
        await("the agent says why").atMost(Duration.ofSeconds(10))
                .until(() -> Files.readString(agent.stderr()).contains("docker tasks disabled on this agent"));
        assertThat(Files.readString(agent.stderr())).contains("/nonexistent/docker.sock");

        RecordingScheduler s = new RecordingScheduler();
        s.submit(List.of(TaskInfo.of("plain", Resources.cpusMem(0.1, 16), CommandInfo.shell("true")),
                new TaskInfo("boxed", "boxed", null, Resources.cpusMem(0.1, 16), CommandInfo.shell("true"), null,
                        Map.of(), ContainerInfo.docker("busybox"))));
        client = s.start(cluster, "no-docker");

        await("both ended").atMost(Duration.ofSeconds(30))
                .until(() -> s.state("plain") == TaskState.FINISHED && s.state("boxed") == TaskState.FAILED);
        assertThat(s.latest("boxed").reason()).isEqualTo(
                "this agent cannot run docker containers (see its attribute containerizers)");
    }
}
