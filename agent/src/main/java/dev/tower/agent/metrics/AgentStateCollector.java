package dev.tower.agent.metrics;

import dev.tower.agent.isolation.TaskUsage;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskState;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** The agent's gauges, read when scraped. */
final class AgentStateCollector implements MultiCollector {
    private static final double MB = 1024 * 1024;

    private final AgentStatus agent;

    AgentStateCollector(AgentStatus agent) {
        this.agent = agent;
    }

    @Override
    public MetricSnapshots collect() {
        List<MetricSnapshot> out = new ArrayList<>();
        Map<TaskState, Integer> tasks = new EnumMap<>(TaskState.class);
        for (TaskState s : TaskState.values()) {
            tasks.put(s, 0);
        }
        agent.taskStates().forEach(s -> tasks.merge(s, 1, Integer::sum));
        GaugeSnapshot.Builder byState = GaugeSnapshot.builder().name("tower_agent_tasks")
                .help("Tasks this agent knows, by state (ended ones until the master acknowledged their last update)");
        tasks.forEach((state, n) -> byState.dataPoint(point(Labels.of("state", state.name()), n)));
        out.add(byState.build());
        out.add(gauge("tower_agent_status_updates_unacknowledged", "Status updates the master has not acknowledged yet",
                agent.unacknowledgedUpdates()));
        out.add(gauge("tower_agent_master_connected", "1 while the agent holds a subscription with a master, else 0",
                agent.connected() ? 1 : 0));
        GaugeSnapshot.Builder containerizers = GaugeSnapshot.builder().name("tower_agent_containerizer_enabled")
                .help("1 for each containerizer that runs tasks on this agent");
        agent.containerizers().forEach(c -> containerizers.dataPoint(point(Labels.of("containerizer", c), 1)));
        out.add(containerizers.build());
        resources(out, "capacity", "this agent offers", agent.capacity());
        resources(out, "used", "used by tasks not yet ended", agent.used());
        usage(out, agent.tasksUsage());
        return new MetricSnapshots(out);
    }

    /** Base units: memory and disk, kept in MB (2^20 bytes) by Tower, in bytes. */
    private static void resources(List<MetricSnapshot> out, String what, String help, Resources r) {
        out.add(gauge("tower_agent_cpus_" + what, "CPUs " + help, r.scalar(Resources.CPUS)));
        out.add(gauge("tower_agent_gpus_" + what, "GPUs " + help, r.scalar(Resources.GPUS)));
        out.add(gauge("tower_agent_memory_" + what + "_bytes", "Memory " + help, r.scalar(Resources.MEM) * MB));
        out.add(gauge("tower_agent_disk_" + what + "_bytes", "Disk " + help, r.scalar(Resources.DISK) * MB));
    }

    /**
     * Summed over the running tasks, so they fall when a task ends: gauges, not counters. Per-task figures are in
     * {@code /api/v1/state}, not here, to keep one series per agent whatever the number of tasks.
     */
    private static void usage(List<MetricSnapshot> out, TaskUsage u) {
        out.add(gauge("tower_agent_tasks_memory_bytes", "Memory charged to the running tasks' cgroups",
                u.memoryBytes()));
        out.add(gauge("tower_agent_tasks_cpu_seconds", "CPU time used so far by the running tasks", u.cpuSeconds()));
        out.add(gauge("tower_agent_tasks_throttled_periods", "CFS periods in which running tasks were throttled "
                + "for reaching their CPU quota", u.throttledPeriods()));
        out.add(gauge("tower_agent_tasks_throttled_seconds", "Time running tasks spent throttled", u.throttledSeconds()));
    }

    private static GaugeSnapshot gauge(String name, String help, double value) {
        return GaugeSnapshot.builder().name(name).help(help).dataPoint(point(Labels.EMPTY, value)).build();
    }

    private static GaugeSnapshot.GaugeDataPointSnapshot point(Labels labels, double value) {
        return GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
    }
}
