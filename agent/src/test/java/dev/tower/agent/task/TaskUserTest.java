package dev.tower.agent.task;

import dev.tower.agent.containerizer.TaskUser;
import dev.tower.agent.isolation.CgroupIsolator;
import dev.tower.agent.isolation.CgroupName;
import dev.tower.agent.isolation.Isolator;
import dev.tower.agent.isolation.RealCgroups;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Process tasks run as another user than the agent's (root): {@code tower agent --task-user}, a framework's user, a
 * command's user. Skipped unless the tests run as root on a machine with the user {@code nobody} and setpriv.
 */
class TaskUserTest {
    private static final FrameworkInfo FW = FrameworkInfo.named("test", "*").withId("fw1");
    private static final String NOBODY = "nobody";

    @TempDir
    Path workDir;
    SupervisorHarness h;
    RealCgroups real;
    Path rootOnly;
    int nobodyUid;

    @BeforeEach
    void setUp() throws IOException {
        Assumptions.assumeTrue(TaskUser.selfUid() == 0, "SKIPPED: running tasks as another user takes root");
        Optional<TaskUser> nobody = TaskUser.lookup(NOBODY);
        Assumptions.assumeTrue(nobody.isPresent(), "SKIPPED: this machine has no user 'nobody'");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")) || Files.isExecutable(Path.of("/bin/setpriv")),
                "SKIPPED: no setpriv (util-linux) on this machine");
        nobodyUid = nobody.get().uid();
        // Readable by all, writable by root alone, where anyone may reach it.
        rootOnly = Files.createTempFile(Path.of("/tmp"), "tower-root-only-", ".txt");
        Files.writeString(rootOnly, "root's\n");
        Files.setPosixFilePermissions(rootOnly, PosixFilePermissions.fromString("rw-r--r--"));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (h != null) {
            h.close();
        }
        if (real != null) {
            real.close();
        }
        if (rootOnly != null) {
            Files.deleteIfExists(rootOnly);
        }
    }

    private void harness(String taskUser) {
        h = new SupervisorHarness(workDir, timer -> Isolator.NONE, taskUser);
    }

    private TaskStatus runToEnd(FrameworkInfo fw, String taskId, CommandInfo cmd) {
        h.supervisor.run("fw1", fw, TaskInfo.of(taskId, Resources.cpusMem(0.1, 32), cmd));
        await().atMost(Duration.ofSeconds(30)).until(() -> h.ended(taskId));
        return h.last(taskId);
    }

    private Path sandbox(String taskId) {
        return h.sandboxes.pathOf("fw1", taskId);
    }

    private String stdout(String taskId) throws IOException {
        return Files.readString(sandbox(taskId).resolve("stdout"));
    }

    private static int owner(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void aTaskOfTheAgentsTaskUserRunsAsItInASandboxItOwnsAndCannotWriteRootsFiles() throws IOException {
        harness(NOBODY);
        TaskStatus end = runToEnd(FW, "as-nobody", CommandInfo.shell("id -u; echo \"HOME=$HOME USER=$USER\"; "
                + "echo mine > made-by-task; "
                + "if echo x >> " + rootOnly + " 2>/dev/null; then echo wrote; else echo denied; fi; exit 3"));

        List<String> lines = stdout("as-nobody").lines().toList();
        assertThat(lines).containsExactly(Integer.toString(nobodyUid), "HOME=" + TaskUser.lookup(NOBODY).get().home()
                + " USER=nobody", "denied");
        assertThat(Files.readString(rootOnly)).isEqualTo("root's\n");
        assertThat(owner(sandbox("as-nobody"))).isEqualTo(nobodyUid);
        assertThat(owner(sandbox("as-nobody").resolve("made-by-task"))).isEqualTo(nobodyUid);
        // The exit status still comes through the agent's own (root's) record of it.
        assertThat(end.state()).isEqualTo(TaskState.FAILED);
        assertThat(end.exitCode()).isEqualTo(3);
        assertThat(end.reason()).isEqualTo("exited with status 3");
    }

    @Test
    void anArgvTaskRunsAsTheUserToo() throws IOException {
        harness(NOBODY);
        TaskStatus end = runToEnd(FW, "argv", CommandInfo.argv(List.of("id", "-u")));

        assertThat(stdout("argv").strip()).isEqualTo(Integer.toString(nobodyUid));
        assertThat(end.state()).isEqualTo(TaskState.FINISHED);
        assertThat(end.exitCode()).isZero();
    }

    @Test
    void theCommandsUserWinsOverTheFrameworksWhichWinsOverTheAgents() throws IOException {
        harness(null); // the agent's own user: root
        FrameworkInfo ofNobody = new FrameworkInfo("fw1", "test", "*", null, NOBODY, null, 0.0, List.of());

        runToEnd(FW, "agents", CommandInfo.shell("id -u"));
        runToEnd(ofNobody, "frameworks", CommandInfo.shell("id -u"));
        CommandInfo asRoot = new CommandInfo(true, "id -u", List.of(), java.util.Map.of(), List.of(), null, "root");
        runToEnd(ofNobody, "commands", asRoot);

        assertThat(stdout("agents").strip()).isEqualTo("0");
        assertThat(stdout("frameworks").strip()).isEqualTo(Integer.toString(nobodyUid));
        assertThat(stdout("commands").strip()).isEqualTo("0");
        assertThat(owner(sandbox("commands"))).isZero();
    }

    @Test
    void anUnknownUserFailsTheTaskSayingSo() {
        harness(null);
        CommandInfo cmd = new CommandInfo(true, "echo never", List.of(), java.util.Map.of(), List.of(), null,
                "no-such-user-x");

        TaskStatus end = runToEnd(FW, "unknown", cmd);

        assertThat(end.state()).isEqualTo(TaskState.FAILED);
        assertThat(end.reason()).isEqualTo("launch failed: task user 'no-such-user-x' does not exist on agent 127.0.0.1");
    }

    @Test
    void aTaskRunAsAnotherUserIsStillInItsCgroup() throws IOException {
        real = new RealCgroups();
        h = new SupervisorHarness(workDir, timer -> new CgroupIsolator(real.cgroups, 4096, timer,
                Duration.ofMillis(100)), NOBODY);

        runToEnd(FW, "isolated", CommandInfo.shell("id -u; cat /proc/self/cgroup"));

        String out = stdout("isolated");
        assertThat(out.lines().findFirst()).contains(Integer.toString(nobodyUid));
        // Every hierarchy of the agent's (memory among them) has the task in the task's own cgroup.
        String name = CgroupName.of("fw1", "isolated");
        assertThat(out.lines().filter(l -> l.contains(":memory:") || l.startsWith("0::")))
                .anySatisfy(l -> assertThat(l).endsWith("/" + name));
        assertThat(h.last("isolated").state()).isEqualTo(TaskState.FINISHED);
    }
}
