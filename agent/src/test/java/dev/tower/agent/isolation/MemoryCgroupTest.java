package dev.tower.agent.isolation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Finding a process's memory cgroup and its OOM-kill counter, against directories standing in for the real ones. */
class MemoryCgroupTest {
    @TempDir
    Path root;

    @Test
    void v1CountsTheOomKillsOfMemoryOomControlInTheMemoryHierarchy() throws IOException {
        Path dir = Files.createDirectories(root.resolve("sys/memory/docker/abc"));
        Files.writeString(dir.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        Path procCgroup = Files.writeString(root.resolve("cgroup"),
                "9:name=systemd:/docker/abc\n4:memory:/docker/abc\n1:cpu:/docker/abc\n0::/docker/abc\n");

        MemoryCgroup m = MemoryCgroup.of(procCgroup, root.resolve("sys")).orElseThrow();

        assertThat(m.dir()).isEqualTo(dir);
        assertThat(m.oomKills()).isEqualTo(2);
    }

    @Test
    void v2CountsTheOomKillsOfMemoryEvents() throws IOException {
        Files.createDirectories(root.resolve("sys"));
        Files.writeString(root.resolve("sys/cgroup.controllers"), "cpu memory pids\n");
        Path dir = Files.createDirectories(root.resolve("sys/system.slice/docker-abc.scope"));
        Files.writeString(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n");
        Path procCgroup = Files.writeString(root.resolve("cgroup"), "0::/system.slice/docker-abc.scope\n");

        MemoryCgroup m = MemoryCgroup.of(procCgroup, root.resolve("sys")).orElseThrow();

        assertThat(m.dir()).isEqualTo(dir);
        assertThat(m.oomKills()).isEqualTo(1);
    }

    @Test
    void aCgroupThatIsGoneCountsNothingAndAProcessThatIsGoneHasNone() throws IOException {
        Path dir = Files.createDirectories(root.resolve("sys/memory/docker/abc"));
        Path procCgroup = Files.writeString(root.resolve("cgroup"), "4:memory:/docker/abc\n");
        MemoryCgroup m = MemoryCgroup.of(procCgroup, root.resolve("sys")).orElseThrow();
        Files.delete(dir);

        assertThat(m.oomKills()).isZero();
        assertThat(MemoryCgroup.of(root.resolve("no-such-process/cgroup"), root.resolve("sys"))).isEmpty();
    }
}
