package dev.tower.agent.metrics;

import dev.tower.agent.task.TaskSupervisor;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One agent's metrics, in a registry of its own (several agents may share a JVM: {@code tower up}), never the
 * client's global one. Launches and exits are counted as the {@link TaskSupervisor} reports them; subscriptions as the
 * master connection makes them; the rest is read when scraped ({@link AgentStatus}).
 */
public final class AgentMetrics implements TaskSupervisor.Observer {
    /** {@code text/plain; version=0.0.4; charset=utf-8}. */
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;
    /** 1 ms to 5 min: a process spawns in milliseconds; a large fetch or image pull takes minutes. */
    static final double[] LAUNCH_BOUNDS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
            60, 120, 300};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Counter launches;
    private final Counter launchFailures;
    private final Histogram launchTime;
    private final Counter exits;
    private final Counter reconnects;
    private final AtomicBoolean subscribedBefore = new AtomicBoolean();

    public AgentMetrics(AgentStatus agent) {
        launches = Counter.builder().name("tower_agent_task_launches")
                .help("RUN_TASKs accepted (duplicates not counted); each ends launched or in a launch failure")
                .withoutExemplars().register(registry);
        launchFailures = Counter.builder().name("tower_agent_task_launch_failures")
                .help("Tasks that never started, by reason (sandbox, fetch, no_containerizer, containerizer, killed)")
                .labelNames("reason").withoutExemplars().register(registry);
        launchTime = Histogram.builder().name("tower_agent_task_launch_seconds")
                .help("From RUN_TASK arriving to the task's process started (RUNNING), fetching included")
                .classicUpperBounds(LAUNCH_BOUNDS).classicOnly().withoutExemplars().register(registry);
        exits = Counter.builder().name("tower_agent_task_exits")
                .help("Task processes that ended, by reason (exit_zero, exit_nonzero, killed, failure, unknown)")
                .labelNames("reason").withoutExemplars().register(registry);
        reconnects = Counter.builder().name("tower_agent_master_reconnects")
                .help("Subscriptions with a master after the first (master failover, lost connection)")
                .withoutExemplars().register(registry);
        // Every reason from the start, at 0, so that rates work from the first failure on.
        for (String reason : new String[]{"sandbox", "fetch", "no_containerizer", "containerizer", "killed"}) {
            launchFailures.labelValues(reason);
        }
        for (String reason : new String[]{"exit_zero", "exit_nonzero", "killed", "failure", "unknown"}) {
            exits.labelValues(reason);
        }
        registry.register(new AgentStateCollector(agent));
        JvmMetrics.builder().register(registry);
    }

    @Override
    public void runTask() {
        launches.inc();
    }

    @Override
    public void launched(Duration sinceRunTask) {
        launchTime.observe(sinceRunTask.toNanos() / 1e9);
    }

    @Override
    public void launchFailed(String reason) {
        launchFailures.labelValues(reason).inc();
    }

    @Override
    public void exited(String reason) {
        exits.labelValues(reason).inc();
    }

    /** The agent subscribed with a master; every time after the first is a reconnection. */
    public void subscribed() {
        if (subscribedBefore.getAndSet(true)) {
            reconnects.inc();
        }
    }

    /**
     * Drops every metric. The JVM collectors keep a static set of the registries they were added to, so without this
     * a closed agent would stay reachable for as long as the JVM runs (several are started and stopped in one JVM by
     * tests).
     */
    public void close() {
        registry.clear();
    }

    /** Writes every metric in the Prometheus text format 0.0.4 ({@link #CONTENT_TYPE}). */
    public void write(OutputStream out) throws IOException {
        writer.write(out, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
    }
}
