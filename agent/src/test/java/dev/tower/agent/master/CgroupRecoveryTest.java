package dev.tower.agent.master;

import dev.tower.agent.Agent;
import dev.tower.agent.AgentConfig;
import dev.tower.agent.isolation.IsolationSettings;
import dev.tower.agent.isolation.RealCgroups;
import dev.tower.agent.task.TaskView;
import dev.tower.api.agent.AgentEvent;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A task's cgroup across an agent restart: kept (and the task still in it) for a task the new agent reattaches, removed
 * once that task ends; a cgroup in the agent's directory that no known task owns is removed when the agent starts.
 * Skipped where cgroups are not writable.
 */
class CgroupRecoveryTest {
    private static final FrameworkInfo FW = FrameworkInfo.named("test", "*").withId("fw1");
    private static final Path MEMORY = Path.of("/sys/fs/cgroup/memory");

    @TempDir
    Path workDir;
    FakeMaster master;
    final List<Agent> agents = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        new RealCgroups().close(); // skips the test unless the agent will find cgroups it may write
        master = new FakeMaster();
    }

    @AfterEach
    void tearDown() {
        for (Agent a : agents) {
            a.shutdownTasks();
            a.close();
        }
        if (master != null) {
            master.close();
        }
    }

    private Agent startAndSubscribe() {
        Agent agent = Agent.start(AgentConfig.defaults(master.address(), workDir).withPort(0)
                .withResources(Resources.parse("cpus:1;mem:512;disk:1000")).withStatusRetry(Duration.ofMillis(300))
                .withIsolation(IsolationSettings.ON));
        agents.add(agent);
        await().until(agent::isSubscribed);
        return agent;
    }

    /** The task's memory cgroup directory, as the kernel has the task's process in it. */
    private static Path memoryCgroupOf(long pid) throws IOException {
        String line = Files.readAllLines(Path.of("/proc/" + pid + "/cgroup")).stream()
                .filter(l -> l.split(":", 3)[1].equals("memory")).findFirst().orElseThrow();
        return MEMORY.resolve(line.split(":", 3)[2].substring(1));
    }

    @Test
    void aReattachedTaskKeepsItsCgroupUntilItEndsAndStrayCgroupsAreRemovedAtStart() throws Exception {
        Agent first = startAndSubscribe();
        master.send(new AgentEvent.RunTask("fw1", FW, TaskInfo.of("long", Resources.cpusMem(0.2, 64),
                CommandInfo.shell("while [ ! -f go ]; do sleep 0.05; done; exit 0"))));
        await().until(() -> first.state().tasks().stream().anyMatch(t -> t.state() == TaskState.RUNNING));
        long pid = first.state().tasks().get(0).pid();
        Path cgroup = memoryCgroupOf(pid);
        assertThat(cgroup.getFileName().toString()).isEqualTo("fw1+long");
        agents.remove(first);
        first.close();
        // Left by an agent whose work dir was wiped, say: no task the next agent knows owns it.
        Path stray = Files.createDirectory(cgroup.resolveSibling("fw0+stray"));

        Agent second = startAndSubscribe();

        assertThat(stray).doesNotExist();
        assertThat(cgroup).isDirectory();
        assertThat(memoryCgroupOf(pid)).isEqualTo(cgroup);
        TaskView view = second.state().tasks().get(0);
        assertThat(view.usage()).isNotNull();
        assertThat(view.usage().memoryBytes()).isPositive();

        Files.writeString(workDir.resolve("sandboxes/fw1/long/go"), "");

        await().atMost(Duration.ofSeconds(15)).until(() -> master.updatesOf("long").stream()
                .map(TaskStatus::state).anyMatch(TaskState.FINISHED::equals));
        await().until(() -> !Files.exists(cgroup));
    }
}
