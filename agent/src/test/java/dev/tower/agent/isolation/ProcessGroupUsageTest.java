package dev.tower.agent.isolation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** What the memory watchdog reads of a process group, against a directory standing in for /proc. */
class ProcessGroupUsageTest {
    @TempDir
    Path proc;

    /** A /proc/PID/stat line: pgrp (field 5), utime and stime (14, 15) in ticks, rss (24) in pages. */
    private void process(long pid, String comm, long pgrp, long utime, long stime, long rssPages) throws IOException {
        StringBuilder line = new StringBuilder(pid + " (" + comm + ") S 1 " + pgrp + " " + pgrp);
        for (int field = 7; field <= 52; field++) {
            long value = switch (field) {
                case 14 -> utime;
                case 15 -> stime;
                case 24 -> rssPages;
                default -> 0;
            };
            line.append(' ').append(value);
        }
        Files.writeString(Files.createDirectories(proc.resolve(Long.toString(pid))).resolve("stat"), line + "\n");
    }

    @Test
    void memoryAndCpuOfTheGroupsProcessesAreSummedAndOthersIgnored() throws IOException {
        process(100, "sh", 100, 10, 5, 100);
        process(101, "a (tricky) name", 100, 200, 35, 1000);
        process(200, "other", 200, 9999, 9999, 99999);
        Files.createDirectories(proc.resolve("self"));

        TaskUsage usage = ProcessGroupUsage.of(proc, 100);

        assertThat(usage.memoryBytes()).isEqualTo(1100L * 4096);
        assertThat(usage.cpuSeconds()).isEqualTo(2.5);
    }

    @Test
    void aGroupWithNoProcessLeftUsesNothing() throws IOException {
        process(200, "other", 200, 1, 1, 1);
        assertThat(ProcessGroupUsage.of(proc, 100)).isEqualTo(TaskUsage.NONE);
    }
}
