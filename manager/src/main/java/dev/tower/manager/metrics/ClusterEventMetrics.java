package dev.tower.manager.metrics;

import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.manager.core.ClusterEvent;
import dev.tower.manager.core.ClusterEvents;
import dev.tower.manager.events.EventSink;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.time.InstantSource;
import java.util.EnumMap;
import java.util.Map;

/**
 * Counts what the core published: offers made, declined and rescinded, and task status updates by state. A sink of
 * the master's event bus, so it sees each of those exactly once, on the core's effect thread, right after the core
 * handled the command that caused it (and queued the matching message to the framework).
 * <p>
 * Status-update latency is measured for updates from agents: from the timestamp the agent put on the status (when the
 * task changed state there) to the moment the master has applied it and handed the UPDATE to the framework's stream.
 * It spans the agent's send, HTTP, the core's queue and the core; the two clocks are different machines' (skew adds
 * to it; a negative difference counts as 0). Statuses the master decides itself (LOST, DROPPED...) are not timed.
 */
final class ClusterEventMetrics implements EventSink {
    /** 1 ms to 60 s: a status re-sent after an outage lands in the top buckets. */
    static final double[] LATENCY_BOUNDS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
            30, 60};

    private final InstantSource clock;
    private final Counter offersMade;
    private final Counter offersDeclined;
    private final Counter offersRescinded;
    private final Map<TaskState, CounterDataPoint> statusUpdates = new EnumMap<>(TaskState.class);
    private final Histogram statusLatency;

    ClusterEventMetrics(PrometheusRegistry registry, InstantSource clock) {
        this.clock = clock;
        offersMade = counter(registry, "tower_master_offers_made", "Offers made to frameworks");
        offersDeclined = counter(registry, "tower_master_offers_declined",
                "Offers declined by frameworks (DECLINE, one per offer id)");
        offersRescinded = counter(registry, "tower_master_offers_rescinded",
                "Offers the master took back (RESCIND: the offer timed out, its agent was lost, ...)");
        Counter updates = Counter.builder()
                .name("tower_master_task_status_updates")
                .help("Task status updates the master applied (each new status once, retries not counted), by state")
                .labelNames("state")
                .withoutExemplars()
                .register(registry);
        for (TaskState s : TaskState.values()) {
            statusUpdates.put(s, updates.labelValues(s.name()));
        }
        statusLatency = Histogram.builder()
                .name("tower_master_status_update_latency_seconds")
                .help("From the agent's timestamp on a task status to the master handing the UPDATE to the framework")
                .classicUpperBounds(LATENCY_BOUNDS)
                .classicOnly()
                .withoutExemplars()
                .register(registry);
    }

    private static Counter counter(PrometheusRegistry registry, String name, String help) {
        return Counter.builder().name(name).help(help).withoutExemplars().register(registry);
    }

    @Override
    public void publish(ClusterEvent event) {
        switch (event.type()) {
            case ClusterEvents.OFFER_MADE -> offersMade.inc();
            case ClusterEvents.OFFER_DECLINED -> offersDeclined.inc();
            case ClusterEvents.OFFER_RESCINDED -> offersRescinded.inc();
            case ClusterEvents.TASK_STATUS -> {
                if (event.data() instanceof ClusterEvents.TaskStatusChanged s && s.state() != null) {
                    statusUpdates.get(s.state()).inc();
                    if (s.source() == TaskStatus.Source.AGENT && s.reportedAt() > 0) {
                        statusLatency.observe(Math.max(0, clock.millis() - s.reportedAt()) / 1000.0);
                    }
                }
            }
            default -> { }
        }
    }
}
