package dev.tower.agent.isolation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the processes of one process group use now, summed from {@code /proc/PID/stat}: for the watchdog, which has no
 * cgroup to ask. CPU time counts only processes still alive (ended children's time is not kept by group).
 */
final class ProcessGroupUsage {
    /** Linux's USER_HZ, which /proc reports times in, is 100 on every architecture. */
    private static final double TICKS_PER_SECOND = 100;
    /** Pages of resident memory; 4 KiB on the architectures Tower runs on. */
    private static final long PAGE_BYTES = 4096;
    /** Fields after the parenthesised command name: pgrp is field 5, utime 14, stime 15, rss 24. */
    private static final int PGRP = 2;
    private static final int UTIME = 11;
    private static final int STIME = 12;
    private static final int RSS = 21;

    private ProcessGroupUsage() {
    }

    static TaskUsage of(Path proc, long pgid) {
        double ticks = 0;
        long rssPages = 0;
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, p -> p.getFileName().toString().matches("[0-9]+"))) {
            for (Path pid : pids) {
                String[] f = fields(pid.resolve("stat"));
                if (f != null && Long.parseLong(f[PGRP]) == pgid) {
                    ticks += Long.parseLong(f[UTIME]) + Long.parseLong(f[STIME]);
                    rssPages += Long.parseLong(f[RSS]);
                }
            }
        } catch (IOException e) {
            return TaskUsage.NONE;
        }
        return new TaskUsage(ticks / TICKS_PER_SECOND, rssPages * PAGE_BYTES, 0, 0);
    }

    private static String[] fields(Path stat) {
        try {
            String text = Files.readString(stat, StandardCharsets.ISO_8859_1);
            String[] f = text.substring(text.lastIndexOf(')') + 1).trim().split(" ");
            return f.length > RSS ? f : null;
        } catch (IOException e) {
            return null; // the process ended while the group was read
        }
    }
}
