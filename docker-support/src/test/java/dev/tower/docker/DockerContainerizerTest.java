package dev.tower.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.tower.agent.containerizer.Container;
import dev.tower.agent.containerizer.ContainerExit;
import dev.tower.agent.containerizer.DockerSettings;
import dev.tower.agent.containerizer.LaunchException;
import dev.tower.agent.containerizer.LaunchSpec;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.ContainerInfo;
import dev.tower.api.model.Range;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Container tasks in the real engine; skipped, saying why, where no engine answers. */
class DockerContainerizerTest {
    private static final Duration END = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private final String agent = "agent-" + Long.toHexString(System.nanoTime());
    private String fw;
    private DockerEngine engine;
    private ScheduledExecutorService timer;
    private DockerContainerizer docker;

    @BeforeEach
    void setUp() {
        // Per test rather than per class, so that each test is reported skipped, with the reason.
        TestEngine.assumeEngine();
        fw = TestEngine.frameworkId();
        engine = TestEngine.engine();
        timer = TestEngine.timer();
        docker = containerizer(TestEngine.settings(List.of(), false));
    }

    private DockerContainerizer containerizer(DockerSettings settings) {
        return TestEngine.containerizer(settings, timer, agent, dir);
    }

    @AfterEach
    void tearDown() {
        if (docker != null) {
            docker.close();
        }
        if (engine != null) {
            int left = TestEngine.removeContainersOf(engine, fw);
            engine.close();
            assertThat(left).as("containers the test left behind").isZero();
        }
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private LaunchSpec spec(TaskInfo task) throws IOException {
        return TestEngine.spec(dir, fw, agent, task);
    }

    private static ContainerExit end(Container c) throws Exception {
        return c.exit().get(END.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A container is removed before its exit is reported. */
    private void assertRemoved(Container c) {
        assertThat(c.exit()).isDone();
        assertThat(TestEngine.exists(engine, ((DockerContainer) c).id())).as("container removed").isFalse();
    }

    private InspectContainerResponse inspect(Container c) {
        return engine.client().inspectContainerCmd(((DockerContainer) c).id()).exec();
    }

    @Test
    void shellCommandOutputAndExitStatusLandInTheSandbox() throws Exception {
        // A line longer than the engine's 16 KiB log messages, and output ending without a newline.
        LaunchSpec spec = spec(TestEngine.task("shell",
                "echo out; echo err >&2; head -c 40000 /dev/zero | tr '\\0' x; echo; printf no-newline; exit 3",
                Resources.cpusMem(0.5, 64)));

        Instant before = Instant.now().minusSeconds(1);
        Container c = docker.launch(spec);
        // Its pid is 0 if it ended before the engine was asked (cgroupsHoldTheCpuQuotaAndMemoryLimit checks a pid).
        assertThat(c.startedAt()).hasValueSatisfying(t -> assertThat(t).isAfter(before));

        ContainerExit exit = end(c);
        assertThat(exit).isEqualTo(new ContainerExit(3, null));
        assertThat(Files.readString(spec.sandbox().resolve("stdout")))
                .isEqualTo("out\n" + "x".repeat(40000) + "\nno-newline");
        assertThat(Files.readString(spec.sandbox().resolve("stderr"))).isEqualTo("err\n");
        assertRemoved(c);
        assertThat(spec.checkpointDir().resolve(CheckpointFiles.EXIT)).hasContent("3 false");
    }

    @Test
    void argvCommandReplacesTheEntrypointAndPassesArgumentsUntouched() throws Exception {
        CommandInfo argv = new CommandInfo(false, "/bin/sh",
                List.of("argv0-is-dropped", "-c", "echo \"$0|$1\"", "a b", "$HOME"), Map.of(), List.of(), null, null);
        LaunchSpec spec = spec(new TaskInfo("argv", "argv", null, Resources.EMPTY, argv, null, Map.of(),
                ContainerInfo.docker(TestEngine.IMAGE).withPullPolicy(ContainerInfo.PullPolicy.NEVER)));

        ContainerExit exit = end(docker.launch(spec));

        assertThat(exit).isEqualTo(new ContainerExit(0, null));
        assertThat(Files.readString(spec.sandbox().resolve("stdout"))).isEqualTo("a b|$HOME\n");

        // An executable the image does not have: the engine cannot start it, and nothing is left behind.
        LaunchSpec missing = spec(new TaskInfo("no-such-exe", "no-such-exe", null, Resources.EMPTY,
                CommandInfo.argv(List.of("/bin/no-such-exe")), null, Map.of(),
                ContainerInfo.docker(TestEngine.IMAGE).withPullPolicy(ContainerInfo.PullPolicy.NEVER)));
        assertThatThrownBy(() -> docker.launch(missing))
                .isInstanceOf(LaunchException.class)
                .hasMessageStartingWith("cannot start the container of image " + TestEngine.IMAGE + ": ")
                .hasMessageContaining("/bin/no-such-exe");
        assertThat(TestEngine.containersOf(engine, fw)).isEmpty();
    }

    @Test
    void environmentHasTheTasksPortsAndTheSandboxAsTheContainerSeesIt() throws Exception {
        Resources res = Resources.of(Map.of(Resources.CPUS, 0.25, Resources.MEM, 32.0),
                Map.of(Resources.PORTS, List.of(new Range(31000, 31001))));
        TaskInfo t = TestEngine.task("env", "env; echo cwd=$(pwd); echo made > made-here", res);
        t = new TaskInfo("env", "env", null, res, t.command().withEnvironment(Map.of("GREETING", "hello world")), null,
                Map.of(), t.container());
        LaunchSpec spec = spec(t);

        assertThat(end(docker.launch(spec))).isEqualTo(new ContainerExit(0, null));

        List<String> lines = Files.readAllLines(spec.sandbox().resolve("stdout"));
        assertThat(lines).contains("PORT0=31000", "PORT1=31001", "PORTS=31000,31001", "TOWER_SANDBOX=/mnt/sandbox",
                "TOWER_TASK_ID=env", "TOWER_FRAMEWORK_ID=" + fw, "TOWER_AGENT_ID=" + agent, "TOWER_CPUS=0.25",
                "TOWER_MEM=32", "GREETING=hello world", "cwd=/mnt/sandbox");
        // Nothing of the agent's own environment (PATH, HOME and HOSTNAME are the engine's; SHLVL and PWD the shell's).
        System.getenv().forEach((k, v) -> {
            if (!Set.of("PATH", "HOME", "HOSTNAME", "TERM", "SHLVL", "PWD", "OLDPWD", "_").contains(k)) {
                assertThat(lines).doesNotContain(k + "=" + v);
            }
        });
        assertThat(spec.sandbox().resolve("made-here")).hasContent("made");
    }

    @Test
    void aTaskOverItsMemoryLimitFailsWhileItsNeighbourRunsOn() throws Exception {
        Container neighbour = docker.launch(spec(TestEngine.task("neighbour", "exec sleep 300",
                Resources.cpusMem(0.1, 32))));
        // The kernel kills `dd` (by far the largest process), not the shell, which carries on as if nothing happened:
        // the task still fails, as Mesos has it, and at once, not when the shell would have ended.
        LaunchSpec hogSpec = spec(TestEngine.task("hog",
                "dd if=/dev/zero of=/dev/null bs=128M count=1; echo survived; exec sleep 300",
                Resources.cpusMem(0.5, 32)));

        ContainerExit exit = end(docker.launch(hogSpec));

        assertThat(exit.failure()).isEqualTo(ContainerExit.MEMORY_LIMIT);
        assertThat(exit.exitCode()).as("stopped with SIGKILL").isEqualTo(137);
        assertThat(Files.readString(hogSpec.sandbox().resolve("stdout"))).contains("survived");
        assertThat(neighbour.exit()).isNotDone();
        assertThat(inspect(neighbour).getState().getRunning()).isTrue();
        neighbour.kill(Duration.ZERO);
        assertThat(end(neighbour).exitCode()).isEqualTo(137);
        assertRemoved(neighbour);
    }

    @Test
    void cgroupsHoldTheCpuQuotaAndMemoryLimit() throws Exception {
        Container c = docker.launch(spec(TestEngine.task("cgroups", "exec sleep 300", Resources.cpusMem(0.5, 64))));
        String id = ((DockerContainer) c).id();
        try {
            Path cpu = Path.of("/sys/fs/cgroup/cpu/docker", id);
            Path memory = Path.of("/sys/fs/cgroup/memory/docker", id);
            org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(cpu) && Files.isDirectory(memory),
                    "no cgroup v1 hierarchy of the container at " + cpu + " (engine with cgroup v2 or systemd driver)");

            assertThat(cpu.resolve("cpu.cfs_period_us")).hasContent("100000");
            assertThat(cpu.resolve("cpu.cfs_quota_us")).hasContent("50000");
            assertThat(cpu.resolve("cpu.shares")).hasContent("512");
            assertThat(memory.resolve("memory.limit_in_bytes")).hasContent(Long.toString(64L << 20));
            if (Files.exists(memory.resolve("memory.memsw.limit_in_bytes"))) {
                assertThat(memory.resolve("memory.memsw.limit_in_bytes")).hasContent(Long.toString(64L << 20));
            }
            assertThat(Files.readAllLines(cpu.resolve("cgroup.procs"))).contains(Long.toString(c.pid()));
        } finally {
            c.kill(Duration.ZERO);
            end(c);
            assertRemoved(c);
        }
    }

    @Test
    void aMappedPortServesHttpOnTheTasksHostPort() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Resources res = Resources.of(Map.of(Resources.CPUS, 0.1, Resources.MEM, 32.0),
                Map.of(Resources.PORTS, List.of(new Range(port, port))));
        TaskInfo t = TestEngine.task("web", "echo served from $PORT0 > index.html && exec httpd -f -p 8080 -h /mnt/sandbox",
                res);
        t = t.withContainer(t.container().withPortMappings(List.of(ContainerInfo.PortMapping.of(8080))));
        Container c = docker.launch(spec(t));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/index.html"))
                .timeout(Duration.ofSeconds(2)).build();
        try {
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
                HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("served from " + port + "\n");
            });
        } finally {
            c.kill(Duration.ofSeconds(1));
            end(c);
            assertRemoved(c);
        }
    }

    @Test
    void volumesOutsideTheAllowListAreRefusedAndAllowedOnesMountedAsAsked() throws Exception {
        Path ro = Files.createDirectories(dir.resolve("shared/ro"));
        Path rw = Files.createDirectories(dir.resolve("shared/rw"));
        Path outside = Files.createDirectories(dir.resolve("private"));
        Files.writeString(ro.resolve("hello.txt"), "hello\n");
        docker.close();
        docker = containerizer(TestEngine.settings(List.of(DockerSettings.VolumeRule.parse(ro.toString()),
                DockerSettings.VolumeRule.parse(rw + ":rw")), false));

        TaskInfo refused = TestEngine.task("refused", "true", Resources.EMPTY);
        TaskInfo refusedTask = refused.withContainer(refused.container().withVolumes(List.of(
                new ContainerInfo.Volume(outside.toString(), "/private", null))));
        assertThatThrownBy(() -> docker.launch(spec(refusedTask)))
                .isInstanceOf(LaunchException.class)
                .hasMessageContaining(outside.toString())
                .hasMessageContaining("--docker-allow-volume");
        TaskInfo writeRo = refused.withContainer(refused.container().withVolumes(List.of(
                new ContainerInfo.Volume(ro.toString(), "/data", ContainerInfo.Mode.RW))));
        assertThatThrownBy(() -> docker.launch(spec(writeRo)))
                .isInstanceOf(LaunchException.class)
                .hasMessageContaining("read-only");
        assertThat(TestEngine.containersOf(engine, fw)).as("containers of refused tasks").isEmpty();

        TaskInfo t = TestEngine.task("volumes", "cat /data/hello.txt; "
                + "if touch /data/new 2>/dev/null; then echo data writable; else echo data read-only; fi; "
                + "echo out > /out/made && echo out written", Resources.EMPTY);
        t = t.withContainer(t.container().withVolumes(List.of(
                new ContainerInfo.Volume(ro.toString(), "/data", null),
                new ContainerInfo.Volume(rw.toString(), "/out", ContainerInfo.Mode.RW))));
        LaunchSpec spec = spec(t);

        assertThat(end(docker.launch(spec))).isEqualTo(new ContainerExit(0, null));
        assertThat(Files.readString(spec.sandbox().resolve("stdout")))
                .isEqualTo("hello\ndata read-only\nout written\n");
        assertThat(ro.resolve("new")).doesNotExist();
        assertThat(rw.resolve("made")).hasContent("out");
    }

    @Test
    void privilegedContainersOnlyWhereAllowed() throws Exception {
        TaskInfo t = TestEngine.task("privileged", "true", Resources.EMPTY);
        TaskInfo privileged = t.withContainer(t.container().withPrivileged(true));

        assertThatThrownBy(() -> docker.launch(spec(privileged)))
                .isInstanceOf(LaunchException.class)
                .hasMessageContaining("--docker-allow-privileged");
        assertThat(TestEngine.containersOf(engine, fw)).isEmpty();
    }

    @Test
    void killStopsWithinTheGracePeriodAndRemovesTheContainer() throws Exception {
        // sleep is the container's PID 1, which SIGTERM does not end: only SIGKILL, when the grace period is over.
        TaskInfo t = TestEngine.task("stubborn", "exec sleep 300", Resources.cpusMem(0.1, 32));
        t = t.withContainer(new ContainerInfo(null, TestEngine.IMAGE, ContainerInfo.PullPolicy.NEVER, null, null, null,
                null, Map.of("team", "ops", DockerRunConfig.LABEL_TASK, "forged")));
        Container stubborn = docker.launch(spec(t));
        InspectContainerResponse inspected = inspect(stubborn);
        assertThat(inspected.getName()).isEqualTo("/" + DockerRunConfig.name(fw, "stubborn"));
        assertThat(inspected.getConfig().getLabels()).containsAllEntriesOf(Map.of("team", "ops",
                DockerRunConfig.LABEL_TASK, "stubborn", DockerRunConfig.LABEL_FRAMEWORK, fw,
                DockerRunConfig.LABEL_AGENT, agent));

        long t0 = System.nanoTime();
        stubborn.kill(Duration.ofSeconds(2));
        ContainerExit exit = end(stubborn);
        long tookMs = (System.nanoTime() - t0) / 1_000_000;

        assertThat(exit.exitCode()).isEqualTo(137);
        assertThat(tookMs).isBetween(1_500L, 2_000L + 5_000L);
        assertRemoved(stubborn);

        // A task that handles SIGTERM ends as soon as it has, well within its grace period.
        LaunchSpec politeSpec = spec(TestEngine.task("polite",
                "trap 'echo got TERM; exit 5' TERM; echo ready; while true; do sleep 0.1; done",
                Resources.cpusMem(0.1, 32)));
        Container polite = docker.launch(politeSpec);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> TestEngine.read(politeSpec.sandbox().resolve("stdout")).contains("ready"));
        t0 = System.nanoTime();
        polite.kill(Duration.ofSeconds(30));
        exit = end(polite);
        tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(exit.exitCode()).isEqualTo(5);
        assertThat(tookMs).isLessThan(10_000L);
        assertThat(Files.readString(politeSpec.sandbox().resolve("stdout"))).isEqualTo("ready\ngot TERM\n");
        assertRemoved(polite);
    }

    @Test
    void aSecondKillOnlyShortensTheGracePeriod() throws Exception {
        Container c = docker.launch(spec(TestEngine.task("shortened", "exec sleep 300", Resources.cpusMem(0.1, 32))));

        long t0 = System.nanoTime();
        c.kill(Duration.ofSeconds(120));
        c.kill(Duration.ofSeconds(300));
        c.kill(Duration.ofSeconds(1));
        ContainerExit exit = end(c);
        long tookMs = (System.nanoTime() - t0) / 1_000_000;

        assertThat(exit.exitCode()).isEqualTo(137);
        assertThat(tookMs).isLessThan(1_000L + 8_000L);
        assertRemoved(c);
    }

    @Test
    void pullPolicyNeverFailsClearlyForAMissingImage() throws Exception {
        TaskInfo t = TestEngine.task("missing", "true", Resources.EMPTY);
        TaskInfo missing = t.withContainer(ContainerInfo.docker("tower/no-such-image:1")
                .withPullPolicy(ContainerInfo.PullPolicy.NEVER));

        assertThatThrownBy(() -> docker.launch(spec(missing)))
                .isInstanceOf(LaunchException.class)
                .hasMessage("image tower/no-such-image:1 is not on this agent, and the task's pullPolicy is never");

        // A registry that cannot be reached: the pull fails, and says why.
        TaskInfo unreachable = t.withContainer(ContainerInfo.docker("127.0.0.1:9/tower/no-such-image:1"));
        assertThatThrownBy(() -> docker.launch(spec(unreachable)))
                .isInstanceOf(LaunchException.class)
                .hasMessageStartingWith("cannot pull image 127.0.0.1:9/tower/no-such-image:1: ");
        assertThat(TestEngine.containersOf(engine, fw)).isEmpty();
    }

    @Test
    void removeUnknownRemovesStrayContainersOfThisAgentOnly() throws Exception {
        Container known = docker.launch(spec(TestEngine.task("known", "exec sleep 300", Resources.cpusMem(0.1, 32))));
        String stray = strayContainer(agent, "stray");
        String ghost = strayContainer(agent, "ghost");
        String othersAgent = strayContainer("some-other-agent", "theirs");

        docker.removeUnknown(Set.of(fw + "/known", fw + "/ghost"));

        assertThat(TestEngine.exists(engine, stray)).as("a container of a task this agent does not know").isFalse();
        assertThat(TestEngine.exists(engine, ghost)).as("a container of a known task that does not run in it").isFalse();
        assertThat(TestEngine.exists(engine, othersAgent)).as("another agent's container").isTrue();
        assertThat(inspect(known).getState().getRunning()).isTrue();

        engine.client().removeContainerCmd(othersAgent).withForce(true).exec();
        known.kill(Duration.ZERO);
        end(known);
        assertRemoved(known);
    }

    private String strayContainer(String agentId, String taskId) {
        String id = engine.client().createContainerCmd(TestEngine.IMAGE)
                .withLabels(Map.of(DockerRunConfig.LABEL_AGENT, agentId, DockerRunConfig.LABEL_FRAMEWORK, fw,
                        DockerRunConfig.LABEL_TASK, taskId))
                .withEntrypoint("sleep", "300")
                .exec().getId();
        engine.client().startContainerCmd(id).exec();
        return id;
    }

    @Test
    void createAndStartLatency() throws Exception {
        List<Long> ms = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            LaunchSpec spec = spec(TestEngine.task("quick-" + i, "exit 0", Resources.cpusMem(0.1, 32)));
            long t0 = System.nanoTime();
            Container c = docker.launch(spec);
            ms.add((System.nanoTime() - t0) / 1_000_000);
            assertThat(end(c)).isEqualTo(new ContainerExit(0, null));
            assertRemoved(c);
        }
        List<Long> sorted = new ArrayList<>(ms);
        Collections.sort(sorted);
        System.out.printf("launch (image check + create + start + inspect), ms: %s; median %d, max %d%n", ms,
                sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1));
        assertThat(sorted.get(sorted.size() / 2)).isLessThan(5_000L);
    }
}
