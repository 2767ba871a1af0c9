package dev.tower.agent.isolation;

import java.util.Optional;
import java.util.Set;

/**
 * This agent's part of the machine's cgroup hierarchy: one child cgroup per task, named {@link CgroupName}, under a
 * directory of its own ({@code tower/<scope>}), so that agents sharing a machine never touch each other's tasks.
 */
public interface Cgroups {

    /** {@code cgroups v1 (cpu, cpuacct, memory, pids) under ...}, for the start-up log. */
    String describe();

    /** Creates the task's cgroup with its limits set; a cgroup of the same name left behind is replaced. */
    TaskCgroup create(String name, TaskLimits limits) throws IsolationException;

    /** The cgroup of a task started by an earlier run of the agent, if it still exists. */
    Optional<TaskCgroup> find(String name);

    /** The names of the task cgroups that exist now. */
    Set<String> names();

    /** Kills whatever still runs in the cgroup and removes it; logs (and leaves it) if it cannot. */
    void remove(String name);

    /**
     * The agent stops: its own directory is removed if no task cgroup is left in it (tasks still running keep theirs,
     * for the next run of the agent to find), so agents on temporary work dirs leave nothing behind.
     */
    void close();
}
