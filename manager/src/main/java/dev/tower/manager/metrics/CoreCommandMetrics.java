package dev.tower.manager.metrics;

import dev.tower.api.agent.AgentCall;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.manager.core.Command;
import dev.tower.manager.runtime.CoreLoop;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.HashMap;
import java.util.Map;

/**
 * How long the core takes per command, timed by the {@link CoreLoop} around {@code MasterCore.handle} (effects are
 * carried out after, outside the measure). A Tick — firing due timers, then one batch allocation — is also the
 * allocation cycle. Scheduler and agent calls are told apart by call type, so the histograms' counts are also the API's
 * call counters. The label's series are resolved once, here: on the core thread each command costs a map lookup and
 * two histogram observations.
 */
final class CoreCommandMetrics implements CoreLoop.Observer {
    /** 10 µs (a heartbeat) to 10 s (an allocation over a very large cluster). */
    static final double[] BOUNDS = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
            0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private final Histogram allocationCycle;
    private final Map<Class<?>, DistributionDataPoint> byCommand = new HashMap<>();

    CoreCommandMetrics(PrometheusRegistry registry) {
        allocationCycle = Histogram.builder()
                .name("tower_master_allocation_cycle_seconds")
                .help("Time the core spent on each allocation Tick (due timers, then one batch allocation)")
                .classicUpperBounds(BOUNDS)
                .classicOnly()
                .withoutExemplars()
                .register(registry);
        Histogram commands = Histogram.builder()
                .name("tower_master_core_command_seconds")
                .help("Time the core spent handling each command, by command (scheduler_* and agent_* are API calls)")
                .labelNames("command")
                .classicUpperBounds(BOUNDS)
                .classicOnly()
                .withoutExemplars()
                .register(registry);
        for (Class<?> c : Command.class.getPermittedSubclasses()) {
            if (c != Command.FromFramework.class && c != Command.FromAgent.class) {
                byCommand.put(c, commands.labelValues(snakeCase(c.getSimpleName())));
            }
        }
        for (Class<?> c : SchedulerCall.class.getPermittedSubclasses()) {
            byCommand.put(c, commands.labelValues("scheduler_" + snakeCase(c.getSimpleName())));
        }
        for (Class<?> c : AgentCall.class.getPermittedSubclasses()) {
            byCommand.put(c, commands.labelValues("agent_" + snakeCase(c.getSimpleName())));
        }
    }

    @Override
    public void handled(Command command, long nanos) {
        double seconds = nanos / 1e9;
        DistributionDataPoint series = byCommand.get(kind(command));
        if (series != null) {
            series.observe(seconds);
        }
        if (command instanceof Command.Tick) {
            allocationCycle.observe(seconds);
        }
    }

    /** The call's type for scheduler and agent calls, else the command's. */
    private static Class<?> kind(Command command) {
        if (command instanceof Command.FromFramework f && f.call() != null) {
            return f.call().getClass();
        }
        if (command instanceof Command.FromAgent a && a.call() != null) {
            return a.call().getClass();
        }
        return command.getClass();
    }

    /** {@code SubscribeFramework} → {@code subscribe_framework}. */
    static String snakeCase(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }
}
