package dev.tower.agent.isolation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Which hierarchy the agent chooses, against directories standing in for /sys/fs/cgroup and /proc/self/cgroup. */
class CgroupDetectionTest {
    @TempDir
    Path root;

    private Path self(String text) throws IOException {
        return Files.writeString(root.resolve("self-cgroup"), text);
    }

    private void v1(String... controllers) throws IOException {
        for (String c : controllers) {
            Files.writeString(Files.createDirectories(root.resolve("sys").resolve(c)).resolve("cgroup.procs"), "");
        }
    }

    @Test
    void v1TaskCgroupsGoUnderTheAgentsOwnCgroupInEachHierarchy() throws IOException {
        v1("cpu", "cpuacct", "memory", "pids");
        Files.createDirectories(root.resolve("sys/unified"));
        Files.writeString(root.resolve("sys/unified/cgroup.controllers"), "\n"); // hybrid: no controllers in v2
        CgroupDetection.Result r = CgroupDetection.detect(root.resolve("sys"),
                self("4:memory:/service/x\n2:cpuacct:/\n1:cpu:/\n0::/\n"), "agent-1");

        assertThat(r.found()).get().isInstanceOf(CgroupsV1.class);
        assertThat(root.resolve("sys/memory/service/x/tower/agent-1")).isDirectory();
        assertThat(root.resolve("sys/cpu/tower/agent-1")).isDirectory();
        assertThat(root.resolve("sys/pids/tower/agent-1")).isDirectory();
    }

    @Test
    void v2IsPreferredWhenItHasCpuAndMemoryAndControllersAreHandedDown() throws IOException {
        v1("cpu", "cpuacct", "memory");
        Files.writeString(root.resolve("sys/cgroup.controllers"), "cpuset cpu io memory pids\n");
        CgroupDetection.Result r = CgroupDetection.detect(root.resolve("sys"), self("0::/\n"), "agent-1");

        assertThat(r.found()).get().isInstanceOf(CgroupsV2.class);
        assertThat(Files.readString(root.resolve("sys/cgroup.subtree_control"))).isEqualTo("+cpu +memory +pids");
        assertThat(Files.readString(root.resolve("sys/tower/agent-1/cgroup.subtree_control")))
                .isEqualTo("+cpu +memory +pids");
    }

    @Test
    void withoutAMemoryHierarchyThereIsNoneAndTheReasonSaysWhy() throws IOException {
        v1("cpu", "cpuacct");
        CgroupDetection.Result r = CgroupDetection.detect(root.resolve("sys"), self("0::/\n"), "agent-1");

        assertThat(r.found()).isEmpty();
        assertThat(r.whyNot()).contains("no cgroup v1 memory hierarchy at " + root.resolve("sys/memory"));
    }

    @Test
    void aHierarchyTheAgentMayNotWriteIsNotUsed() throws IOException {
        v1("cpu", "cpuacct", "memory");
        // A file where the agent's directory must go stands in for a read-only hierarchy (the tests run as root).
        Files.writeString(root.resolve("sys/cpu/tower"), "");
        CgroupDetection.Result r = CgroupDetection.detect(root.resolve("sys"), self("0::/\n"), "agent-1");

        assertThat(r.found()).isEmpty();
        assertThat(r.whyNot()).startsWith("cannot create " + root.resolve("sys/cpu/tower/agent-1"));
    }
}
