package dev.tower.agent.isolation;

import java.nio.file.Path;
import java.util.List;

/** The cgroup(s) of one task: one directory per hierarchy in v1, a single one in v2. */
public interface TaskCgroup {

    /** The {@code cgroup.procs} files a process writes its pid into to join the task's cgroup in every hierarchy. */
    List<Path> procsFiles();

    /** The directories, for logs, tests and removal. */
    List<Path> dirs();

    /** How many times the kernel has OOM-killed a process of the task (the counter only grows). */
    long oomKills();

    TaskUsage usage();
}
