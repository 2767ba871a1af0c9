package dev.tower.docker;

import dev.tower.agent.containerizer.DockerSettings;
import dev.tower.agent.containerizer.LaunchException;
import dev.tower.agent.containerizer.LaunchSpec;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.ContainerInfo;
import dev.tower.api.model.Range;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How a task becomes a container's configuration, and what the agent refuses; no engine needed. */
class DockerRunConfigTest {
    @TempDir
    Path dir;

    private LaunchSpec spec(TaskInfo task) throws IOException {
        return TestEngine.spec(dir, "fw/1", "agent-1", task);
    }

    private static TaskInfo task(CommandInfo command, Resources res, ContainerInfo container) {
        return new TaskInfo("web.1", "web", null, res, command, null, Map.of(), container);
    }

    @Test
    void shellCommandRunsUnderShInTheSandbox() throws Exception {
        DockerRunConfig c = DockerRunConfig.of(spec(task(CommandInfo.shell("echo $HOME && ls"), Resources.EMPTY,
                ContainerInfo.docker("busybox"))), DockerSettings.DEFAULTS);

        assertThat(c.entrypoint()).containsExactly("/bin/sh", "-c");
        assertThat(c.cmd()).containsExactly("echo $HOME && ls");
        assertThat(c.workingDir()).isEqualTo("/mnt/sandbox");
        assertThat(c.image()).isEqualTo("busybox");
        assertThat(c.networkMode()).isEqualTo("bridge");
    }

    @Test
    void argvReplacesTheEntrypointAndDropsArgvZero() throws Exception {
        CommandInfo argv = new CommandInfo(false, "/bin/echo", List.of("echo", "a b", "$HOME"), Map.of(), List.of(),
                "work", "nobody");
        DockerRunConfig c = DockerRunConfig.of(spec(task(argv, Resources.EMPTY, ContainerInfo.docker("busybox"))),
                DockerSettings.DEFAULTS);

        assertThat(c.entrypoint()).containsExactly("/bin/echo");
        assertThat(c.cmd()).containsExactly("a b", "$HOME");
        assertThat(c.workingDir()).isEqualTo("/mnt/sandbox/work");
        assertThat(c.user()).isEqualTo("nobody");
    }

    @Test
    void withoutACommandTheImageRunsItsOwn() throws Exception {
        CommandInfo envOnly = new CommandInfo(null, null, null, Map.of("A", "1"), null, null, null);
        DockerRunConfig c = DockerRunConfig.of(spec(task(envOnly, Resources.EMPTY, ContainerInfo.docker("nginx:1.27"))),
                DockerSettings.DEFAULTS);

        assertThat(c.entrypoint()).isNull();
        assertThat(c.cmd()).isNull();
        assertThat(c.workingDir()).isNull();
        assertThat(c.env()).contains("A=1");
    }

    @Test
    void environmentIsTheTasksAndTowersNotTheAgents() throws Exception {
        Resources res = Resources.of(Map.of(Resources.CPUS, 0.5, Resources.MEM, 64.0),
                Map.of(Resources.PORTS, List.of(new Range(31000, 31001))));
        CommandInfo cmd = CommandInfo.shell("env").withEnvironment(Map.of("GREETING", "hi", "TOWER_SANDBOX", "/x"));
        DockerRunConfig c = DockerRunConfig.of(spec(task(cmd, res, ContainerInfo.docker("busybox"))),
                DockerSettings.DEFAULTS);

        assertThat(c.env()).contains("GREETING=hi", "TOWER_SANDBOX=/mnt/sandbox", "PORT0=31000", "PORT1=31001",
                "PORTS=31000,31001", "TOWER_TASK_ID=web.1", "TOWER_FRAMEWORK_ID=fw/1", "TOWER_AGENT_ID=agent-1",
                "TOWER_CPUS=0.5", "TOWER_MEM=64", "HOST=127.0.0.1");
        assertThat(c.env()).noneMatch(e -> e.startsWith("PATH=") || e.startsWith("JAVA_HOME="));
    }

    @Test
    void cpuAndMemoryLimitsComeFromTheResources() throws Exception {
        DockerRunConfig c = DockerRunConfig.of(spec(task(CommandInfo.shell("true"), Resources.cpusMem(1.5, 32),
                ContainerInfo.docker("busybox"))), DockerSettings.DEFAULTS);

        assertThat(c.cpuShares()).isEqualTo(1536);
        assertThat(c.cpuPeriod()).isEqualTo(100_000L);
        assertThat(c.cpuQuota()).isEqualTo(150_000L);
        assertThat(c.memoryBytes()).isEqualTo(32L << 20);

        DockerRunConfig tiny = DockerRunConfig.of(spec(task(CommandInfo.shell("true"), Resources.cpusMem(0.001, 8),
                ContainerInfo.docker("busybox"))), DockerSettings.DEFAULTS);
        assertThat(tiny.cpuShares()).isEqualTo(2);
        assertThat(tiny.cpuQuota()).isEqualTo(1_000L);

        DockerRunConfig none = DockerRunConfig.of(spec(task(CommandInfo.shell("true"), Resources.EMPTY,
                ContainerInfo.docker("busybox"))), DockerSettings.DEFAULTS);
        assertThat(none.cpuShares()).isNull();
        assertThat(none.memoryBytes()).isNull();
    }

    @Test
    void portMappingsTakeTheTasksPortsInOrder() throws Exception {
        Resources res = Resources.ranges(Resources.PORTS, List.of(new Range(31000, 31002)));
        ContainerInfo ci = ContainerInfo.docker("busybox").withPortMappings(List.of(
                ContainerInfo.PortMapping.of(80),
                new ContainerInfo.PortMapping(53, 31000, ContainerInfo.Protocol.UDP),
                ContainerInfo.PortMapping.of(443)));
        DockerRunConfig c = DockerRunConfig.of(spec(task(CommandInfo.shell("true"), res, ci)), DockerSettings.DEFAULTS);

        assertThat(c.ports()).containsExactly(
                new DockerRunConfig.PortMap(80, ContainerInfo.Protocol.TCP, 31001),
                new DockerRunConfig.PortMap(53, ContainerInfo.Protocol.UDP, 31000),
                new DockerRunConfig.PortMap(443, ContainerInfo.Protocol.TCP, 31002));
    }

    @Test
    void towerLabelsCannotBeOverriddenAndTheNameIsSanitised() throws Exception {
        ContainerInfo ci = new ContainerInfo(null, "busybox", null, null, null, null, null,
                Map.of("team", "web", DockerRunConfig.LABEL_TASK, "forged", "dev.tower.other", "x"));
        DockerRunConfig c = DockerRunConfig.of(spec(task(CommandInfo.shell("true"), Resources.EMPTY, ci)),
                DockerSettings.DEFAULTS);

        assertThat(c.labels()).containsExactlyInAnyOrderEntriesOf(Map.of("team", "web",
                DockerRunConfig.LABEL_TASK, "web.1", DockerRunConfig.LABEL_FRAMEWORK, "fw/1",
                DockerRunConfig.LABEL_AGENT, "agent-1"));
        assertThat(c.name()).isEqualTo("tower-fw_1-web.1");
        assertThat(DockerRunConfig.name("a b:c", "t@1")).isEqualTo("tower-a_b_c-t_1");
    }

    @Test
    void theSandboxIsMountedReadWrite() throws Exception {
        LaunchSpec spec = spec(task(CommandInfo.shell("true"), Resources.EMPTY, ContainerInfo.docker("busybox")));
        DockerRunConfig c = DockerRunConfig.of(spec, DockerSettings.DEFAULTS);

        assertThat(c.mounts()).containsExactly(new DockerRunConfig.Mount(spec.sandbox(), "/mnt/sandbox", true));
    }

    @Test
    void privilegedOnlyWhereAllowed() throws Exception {
        TaskInfo t = task(CommandInfo.shell("true"), Resources.EMPTY,
                ContainerInfo.docker("busybox").withPrivileged(true));

        assertThatThrownBy(() -> DockerRunConfig.of(spec(t), DockerSettings.DEFAULTS))
                .isInstanceOf(LaunchException.class)
                .hasMessageContaining("privileged").hasMessageContaining("--docker-allow-privileged");
        DockerSettings allowing = new DockerSettings(null, List.of(), true, true);
        assertThat(DockerRunConfig.of(spec(t), allowing).privileged()).isTrue();
    }

    @Test
    void volumesOnlyUnderAllowedPathsAndWritableOnlyWhereTheRuleSays() throws Exception {
        Path ro = Files.createDirectories(dir.resolve("shared/ro/data"));
        Path rw = Files.createDirectories(dir.resolve("shared/rw/out"));
        Path outside = Files.createDirectories(dir.resolve("secret"));
        Files.createSymbolicLink(dir.resolve("shared/ro/escape"), outside);
        DockerSettings settings = new DockerSettings(null, List.of(
                DockerSettings.VolumeRule.parse(dir.resolve("shared/ro").toString()),
                DockerSettings.VolumeRule.parse(dir.resolve("shared/rw") + ":rw")), false, true);

        DockerRunConfig ok = DockerRunConfig.of(spec(withVolumes(
                new ContainerInfo.Volume(ro.toString(), "/data", null),
                new ContainerInfo.Volume(rw + "/../out/.", "/out", ContainerInfo.Mode.RW))), settings);
        assertThat(ok.mounts()).contains(new DockerRunConfig.Mount(ro.toRealPath(), "/data", false),
                new DockerRunConfig.Mount(rw.toRealPath(), "/out", true));

        assertThatThrownBy(() -> DockerRunConfig.of(spec(withVolumes(
                new ContainerInfo.Volume(outside.toString(), "/s", null))), settings))
                .isInstanceOf(LaunchException.class)
                .hasMessageContaining(outside.toString())
                .hasMessageContaining("--docker-allow-volume");
        assertThatThrownBy(() -> DockerRunConfig.of(spec(withVolumes(
                new ContainerInfo.Volume(dir.resolve("shared/ro/escape").toString(), "/s", null))), settings))
                .isInstanceOf(LaunchException.class)
                .hasMessageContaining("shared/ro/escape (" + outside.toRealPath() + ")")
                .hasMessageContaining("is not under a path this agent allows");
        assertThatThrownBy(() -> DockerRunConfig.of(spec(withVolumes(
                new ContainerInfo.Volume(dir.resolve("shared/ro/../../secret").toString(), "/s", null))), settings))
                .isInstanceOf(LaunchException.class)
                .hasMessageContaining("is not under a path this agent allows");
        assertThatThrownBy(() -> DockerRunConfig.of(spec(withVolumes(
                new ContainerInfo.Volume(ro.toString(), "/data", ContainerInfo.Mode.RW))), settings))
                .isInstanceOf(LaunchException.class)
                .hasMessageContaining(ro.toString())
                .hasMessageContaining("read-only")
                .hasMessageContaining("--docker-allow-volume PATH:rw");
        assertThatThrownBy(() -> DockerRunConfig.of(spec(withVolumes(
                new ContainerInfo.Volume(dir.resolve("shared/ro/missing").toString(), "/m", null))), settings))
                .isInstanceOf(LaunchException.class)
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> DockerRunConfig.of(spec(withVolumes(
                new ContainerInfo.Volume(ro.toString(), "/data", null))), DockerSettings.DEFAULTS))
                .isInstanceOf(LaunchException.class)
                .hasMessageContaining("it allows none");
    }

    private static TaskInfo withVolumes(ContainerInfo.Volume... volumes) {
        return task(CommandInfo.shell("true"), Resources.EMPTY, ContainerInfo.docker("busybox")
                .withVolumes(List.of(volumes)));
    }

    @Test
    void imageReferencesSplitForPulling() {
        assertThat(ImageRef.parse("busybox")).isEqualTo(new ImageRef("busybox", "latest"));
        assertThat(ImageRef.parse("busybox:1.36")).isEqualTo(new ImageRef("busybox", "1.36"));
        assertThat(ImageRef.parse("registry:5000/team/app")).isEqualTo(new ImageRef("registry:5000/team/app", "latest"));
        assertThat(ImageRef.parse("registry:5000/team/app:2")).isEqualTo(new ImageRef("registry:5000/team/app", "2"));
        assertThat(ImageRef.parse("app@sha256:abc")).isEqualTo(new ImageRef("app", "sha256:abc"));
    }
}
