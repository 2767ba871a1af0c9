package dev.tower.agent.isolation;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the agent writes to and reads from v1 control files, against a directory standing in for /sys/fs/cgroup. */
class CgroupsV1Test {
    @TempDir
    Path root;
    Map<String, Path> bases = new LinkedHashMap<>();
    CgroupsV1 cgroups;

    @BeforeEach
    void setUp() throws IOException {
        for (String c : new String[]{"cpu", "cpuacct", "memory", "pids"}) {
            bases.put(c, Files.createDirectories(root.resolve(c).resolve("tower/agent-1")));
        }
        cgroups = new CgroupsV1(bases);
    }

    private String read(String controller, String file) throws IOException {
        return Files.readString(bases.get(controller).resolve("fw+t").resolve(file));
    }

    @Test
    void limitsAreWrittenFromTheTasksResources() throws Exception {
        TaskCgroup cg = cgroups.create("fw+t", new TaskLimits(1.5, 64L << 20, 4096));

        assertThat(read("cpu", "cpu.shares")).isEqualTo("1536");
        assertThat(read("cpu", "cpu.cfs_period_us")).isEqualTo("100000");
        assertThat(read("cpu", "cpu.cfs_quota_us")).isEqualTo("150000");
        assertThat(read("memory", "memory.limit_in_bytes")).isEqualTo(Long.toString(64L << 20));
        assertThat(read("pids", "pids.max")).isEqualTo("4096");
        assertThat(cg.procsFiles()).containsExactly(bases.get("cpu").resolve("fw+t/cgroup.procs"),
                bases.get("cpuacct").resolve("fw+t/cgroup.procs"), bases.get("memory").resolve("fw+t/cgroup.procs"),
                bases.get("pids").resolve("fw+t/cgroup.procs"));
        assertThat(cgroups.names()).containsExactly("fw+t");
    }

    @Test
    void resourcesNotAskedForAreNotLimited() throws Exception {
        cgroups.create("fw+t", new TaskLimits(0, 0, 0));
        try (var files = Files.list(bases.get("cpu").resolve("fw+t"))) {
            assertThat(files).isEmpty();
        }
        assertThat(bases.get("memory").resolve("fw+t/memory.limit_in_bytes")).doesNotExist();
        assertThat(bases.get("pids").resolve("fw+t/pids.max")).doesNotExist();
    }

    @Test
    void aTinyCpuShareStillGetsTheKernelsMinimumQuota() throws Exception {
        cgroups.create("fw+t", new TaskLimits(0.001, 0, 0));
        assertThat(read("cpu", "cpu.shares")).isEqualTo("2");
        assertThat(read("cpu", "cpu.cfs_quota_us")).isEqualTo("1000");
    }

    @Test
    void oomKillsAndUsageAreReadFromTheKernelsFiles() throws Exception {
        TaskCgroup cg = cgroups.create("fw+t", new TaskLimits(0, 0, 0));
        Path memory = bases.get("memory").resolve("fw+t");
        assertThat(cg.oomKills()).isZero();
        Files.writeString(memory.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        Files.writeString(memory.resolve("memory.usage_in_bytes"), "1048576\n");
        Files.writeString(bases.get("cpuacct").resolve("fw+t/cpuacct.usage"), "2500000000\n");
        Files.writeString(bases.get("cpu").resolve("fw+t/cpu.stat"),
                "nr_periods 40\nnr_throttled 7\nthrottled_time 350000000\n");

        assertThat(cg.oomKills()).isEqualTo(2);
        assertThat(cg.usage()).isEqualTo(new TaskUsage(2.5, 1048576, 7, 0.35));
        assertThat(cgroups.find("fw+t")).isPresent();
        assertThat(cgroups.find("fw+other")).isEmpty();
    }

    @Test
    void aWriteTheKernelRefusesIsAnErrorNamingTheFile() throws Exception {
        // A directory where the control file should be: the write fails as a refused kernel write would.
        Files.createDirectories(bases.get("memory").resolve("fw+t/memory.limit_in_bytes"));
        assertThatThrownBy(() -> new ControlFiles(bases.get("memory").resolve("fw+t"))
                .write("memory.limit_in_bytes", "1"))
                .isInstanceOf(IsolationException.class)
                .hasMessageContaining("memory.limit_in_bytes");
    }
}
