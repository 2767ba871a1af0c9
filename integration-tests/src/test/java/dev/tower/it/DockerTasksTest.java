package dev.tower.it;

import dev.tower.api.client.SchedulerClient;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.ContainerInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Docker tasks on a real engine, next to process tasks: output and exit code through {@code tower run}, memory and CPU
 * limits in the container's cgroups, an OOM that fails only its own task, a published port, the volume allow-list,
 * recovery after an agent restart, and containers removed when their tasks end. Skipped, with the reason, where no
 * engine runs (CI starts one).
 */
@ExtendWith(LogsOnFailure.class)
class DockerTasksTest {
    static final String IMAGE = "tower/busybox:it";
    private static final String AGENT_RESOURCES = "cpus:4;mem:4096;ports:[31000-31099]";

    private Cluster cluster;
    private Path allowed;
    private final List<SchedulerClient> clients = new ArrayList<>();
    private final List<String> taskIds = new ArrayList<>();

    private static boolean imported;

    /** Checked before each test, not once per class: Surefire reports a class skipped in @BeforeAll as nothing run. */
    @BeforeEach
    void start() throws IOException {
        var why = DockerEngine.unavailable();
        Assumptions.assumeTrue(why.isEmpty(), () -> "SKIPPED: " + why.orElse(""));
        if (!imported) {
            DockerEngine.importBusybox(IMAGE);
            imported = true;
        }
        cluster = Cluster.start("docker", 0, "10s");
        allowed = Files.createDirectories(cluster.workDir().resolve("shared"));
        cluster.startAgent(AGENT_RESOURCES, cluster.master(), List.of("--docker-allow-volume", allowed.toString()));
        cluster.awaitActiveAgents(1);
    }

    @AfterEach
    void stop() {
        clients.forEach(SchedulerClient::close);
        if (cluster != null) {
            cluster.close();
        }
        DockerEngine.removeContainersOf(taskIds);
    }

    @Test
    void aContainersOutputAndExitCodeReachTowerRun() {
        Cluster.CliResult r = cluster.cli(Duration.ofSeconds(60), "run", "-m", cluster.master(), "--name", "hello",
                "--docker", IMAGE, "--pull", "never", "--cpus", "0.5", "--mem", "64", "--",
                "sh", "-c", "echo hello from $(cat /etc/hostname 2>/dev/null || echo a container); echo oops >&2; exit 3");
        taskIds.add("hello");

        assertThat(r.stdout()).as("stderr: %s", r.stderr()).contains("hello from");
        assertThat(r.stderr()).contains("oops");
        assertThat(r.exitCode()).as("stdout: %s%nstderr: %s", r.stdout(), r.stderr()).isEqualTo(3);
        assertThat(cluster.agents().get(0).attributes()).containsEntry("containerizers", "docker,process");
    }

    @Test
    void aTaskOverItsMemoryLimitFailsWithTheMemoryReasonWhileItsNeighbourRuns() throws Exception {
        RecordingScheduler s = scheduler("oom");
        s.submit(List.of(docker("neighbour", 0.1, 32, "sleep 120"),
                // The kernel OOM-kills `dd`; the shell carries on (it would sleep for minutes), yet the task fails now.
                docker("hog", 0.1, 32, "dd if=/dev/zero of=/dev/null bs=128M count=1; echo survived; exec sleep 600")));

        await("hog ends").atMost(Duration.ofSeconds(60)).until(() -> terminal(s.latest("hog")));
        TaskStatus hog = s.latest("hog");
        assertThat(hog.state()).as("%s", hog).isEqualTo(TaskState.FAILED);
        assertThat(hog.reason()).isEqualTo("memory limit exceeded");
        assertThat(s.state("neighbour")).isEqualTo(TaskState.RUNNING);
        assertThat(DockerEngine.inspect("{{.State.Running}}", DockerEngine.containersOf("neighbour").get(0)))
                .isEqualTo("true");
    }

    @Test
    void theContainersCgroupsHoldItsCpuQuotaAndMemoryLimit() throws Exception {
        RecordingScheduler s = scheduler("limits");
        s.submit(List.of(docker("limited", 0.5, 96, "sleep 120")));
        await("limited RUNNING").atMost(Duration.ofSeconds(60)).until(() -> s.state("limited") == TaskState.RUNNING);

        String id = DockerEngine.containersOf("limited").get(0);
        Path cpu = Path.of("/sys/fs/cgroup/cpu/docker", id);
        Path memory = Path.of("/sys/fs/cgroup/memory/docker", id);
        Assumptions.assumeTrue(Files.isDirectory(cpu) && Files.isDirectory(memory),
                () -> "SKIPPED: the engine's cgroups are not at " + cpu + " (cgroup v1 with the cgroupfs driver)");
        assertThat(Files.readString(cpu.resolve("cpu.cfs_period_us")).strip()).isEqualTo("100000");
        assertThat(Files.readString(cpu.resolve("cpu.cfs_quota_us")).strip()).isEqualTo("50000");
        assertThat(Files.readString(cpu.resolve("cpu.shares")).strip()).isEqualTo("512");
        assertThat(Files.readString(memory.resolve("memory.limit_in_bytes")).strip())
                .isEqualTo(String.valueOf(96L << 20));
    }

    @Test
    void aPublishedPortServesHttpOnTheHostPortOffered() throws Exception {
        RecordingScheduler s = scheduler("web");
        TaskInfo web = new TaskInfo("web", "web", null, Resources.parse("cpus:0.1;mem:32;ports:[31042-31042]"),
                CommandInfo.shell("echo tower > /mnt/sandbox/index.html; exec httpd -f -p 8080 -h /mnt/sandbox"),
                null, Map.of(), ContainerInfo.docker(IMAGE).withPullPolicy(ContainerInfo.PullPolicy.NEVER)
                .withPortMappings(List.of(ContainerInfo.PortMapping.of(8080))));
        taskIds.add("web");
        s.submit(List.of(web));
        await("web RUNNING").atMost(Duration.ofSeconds(60)).until(() -> s.state("web") == TaskState.RUNNING);

        HttpResponse<String> r = await("HTTP on host port 31042").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> cluster.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:31042/index.html"))
                        .timeout(Duration.ofSeconds(5)).GET().build()), resp -> resp.statusCode() == 200);
        assertThat(r.body().strip()).isEqualTo("tower");
    }

    @Test
    void aVolumeOutsideTheAllowListIsRefusedWithAClearError() throws IOException {
        Files.writeString(allowed.resolve("greeting"), "hi from the host\n");
        Cluster.CliResult inside = cluster.cli(Duration.ofSeconds(60), "run", "-m", cluster.master(), "--name",
                "inside", "--docker", IMAGE, "--pull", "never", "--mem", "32", "-v", allowed + ":/shared", "--",
                "sh", "-c", "cat /shared/greeting; touch /shared/x");
        taskIds.add("inside");
        assertThat(inside.stdout()).as("stderr: %s", inside.stderr()).contains("hi from the host");
        assertThat(inside.exitCode()).as("read-only mount: touch fails").isNotZero();

        Cluster.CliResult outside = cluster.cli(Duration.ofSeconds(60), "run", "-m", cluster.master(), "--name",
                "outside", "--docker", IMAGE, "--pull", "never", "--mem", "32", "-v", "/etc:/host-etc", "--",
                "cat", "/host-etc/hostname");
        taskIds.add("outside");
        assertThat(outside.exitCode()).isNotZero();
        assertThat(outside.stderr()).contains("FAILED").contains("/etc").contains("--docker-allow-volume");
    }

    @Test
    void anAgentRestartReattachesARunningContainerAndReportsOneThatExitedMeanwhile() throws Exception {
        RecordingScheduler s = scheduler("restart");
        s.submit(List.of(docker("long", 0.1, 32, "echo started; sleep 300"),
                docker("short", 0.1, 32, "echo short; sleep 4; exit 7")));
        await("both RUNNING").atMost(Duration.ofSeconds(60))
                .until(() -> s.state("long") == TaskState.RUNNING && s.state("short") == TaskState.RUNNING);
        String longId = DockerEngine.containersOf("long").get(0);
        String shortId = DockerEngine.containersOf("short").get(0);

        TowerProcess agent = cluster.process("agent1");
        cluster.killForcibly(agent);
        await("short exited while the agent was down").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> DockerEngine.inspect("{{.State.Status}}", shortId).equals("exited"));
        cluster.restartAgent(agent);

        await("short reported").atMost(Duration.ofSeconds(60)).until(() -> terminal(s.latest("short")));
        assertThat(s.latest("short").state()).isEqualTo(TaskState.FAILED);
        assertThat(s.latest("short").exitCode()).isEqualTo(7);
        assertThat(s.state("long")).isEqualTo(TaskState.RUNNING);
        assertThat(DockerEngine.inspect("{{.State.Running}}", longId)).isEqualTo("true");
        await("short's container removed").atMost(Duration.ofSeconds(30))
                .until(() -> DockerEngine.containersOf("short").isEmpty());

        // Killing the task stops and removes its container; the reattached one is watched for real.
        clients.get(0).kill("long", null).get();
        await("long KILLED").atMost(Duration.ofSeconds(30)).until(() -> s.state("long") == TaskState.KILLED);
        await("long's container removed").atMost(Duration.ofSeconds(30))
                .until(() -> DockerEngine.containersOf("long").isEmpty());
    }

    // ---- helpers ----

    private RecordingScheduler scheduler(String name) throws InterruptedException {
        RecordingScheduler s = new RecordingScheduler();
        clients.add(s.start(cluster, name));
        return s;
    }

    private TaskInfo docker(String id, double cpus, double mem, String shell) {
        taskIds.add(id);
        return new TaskInfo(id, id, null, Resources.cpusMem(cpus, mem), CommandInfo.shell(shell), 1.0, Map.of(),
                ContainerInfo.docker(IMAGE).withPullPolicy(ContainerInfo.PullPolicy.NEVER));
    }

    private static boolean terminal(TaskStatus s) {
        return s != null && s.state().isTerminal();
    }
}
