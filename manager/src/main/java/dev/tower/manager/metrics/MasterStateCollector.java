package dev.tower.manager.metrics;

import dev.tower.api.events.EventSinkView;
import dev.tower.api.model.Resources;
import dev.tower.api.operator.RoleView;
import dev.tower.manager.core.Census;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The gauges read at scrape time: leadership, streams, event sinks, and — while this master leads — the core's state,
 * read once per scrape through the core loop ({@link MasterStatus.LeadingTerm#census}). A core that does not answer
 * within {@link #CORE_TIMEOUT} is left out of that scrape (and counted), so a busy core never stalls a scrape for long
 * and a scrape never holds the core: the census is one pass over agents, frameworks and tasks.
 */
final class MasterStateCollector implements MultiCollector {
    private static final Logger log = LoggerFactory.getLogger(MasterStateCollector.class);
    static final Duration CORE_TIMEOUT = Duration.ofSeconds(2);
    private static final double MB = 1024 * 1024;

    private final MasterStatus master;
    private final Counter coreTimeouts;

    MasterStateCollector(MasterStatus master, PrometheusRegistry registry) {
        this.master = master;
        this.coreTimeouts = Counter.builder()
                .name("tower_master_scrape_core_timeouts")
                .help("Scrapes that left out the core's gauges because the core did not answer within "
                        + CORE_TIMEOUT.toSeconds() + " s")
                .withoutExemplars()
                .register(registry);
    }

    @Override
    public MetricSnapshots collect() {
        Gauges g = new Gauges();
        Optional<MasterStatus.LeadingTerm> term = master.term();
        g.gauge("tower_master_leader", "1 while this master leads, 0 on a standby", term.isPresent() ? 1 : 0);
        g.gauge("tower_master_event_streams", "Open GET /api/v1/events streams", master.eventStreams());
        sinks(g);
        term.ifPresent(t -> {
            g.gauge("tower_master_epoch", "The epoch of this master's term (0 without ZooKeeper)", t.epoch());
            g.gauge("tower_master_streams", "Open scheduler and agent streams", "kind",
                    Map.of("framework", t.frameworkStreams(), "agent", t.agentStreams()));
            g.gauge("tower_master_core_queued_commands", "Commands waiting for the core thread", t.queuedCommands());
            census(t).ifPresent(c -> coreGauges(g, c));
        });
        return new MetricSnapshots(g.snapshots());
    }

    private Optional<Census> census(MasterStatus.LeadingTerm term) {
        try {
            return Optional.of(term.census().get(CORE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            coreTimeouts.inc();
            log.warn("/metrics: the core did not answer within {} s; its gauges are left out of this scrape",
                    CORE_TIMEOUT.toSeconds());
        } catch (ExecutionException e) {
            log.warn("/metrics: cannot read the core's state: {}", e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.empty();
    }

    private void sinks(Gauges g) {
        for (EventSinkView s : master.eventSinks()) {
            Labels l = Labels.of("sink", s.kind(), "target", s.target() == null ? "" : s.target());
            g.gauge("tower_master_event_sink_pending", "Events not yet acknowledged by the sink's target", l,
                            s.pending())
                    .gauge("tower_master_event_sink_unwritten", "Of the pending events, those not yet in the outbox "
                            + "files (a crash would lose them)", l, s.unwritten())
                    .gauge("tower_master_event_sink_oldest_pending_seconds", "Age of the oldest pending event: the "
                            + "sink's lag", l, s.oldestPendingAgeMillis() / 1000.0)
                    .gauge("tower_master_event_sink_stored_bytes", "Bytes the outbox holds", l, s.storedBytes())
                    .gauge("tower_master_event_sink_max_bytes", "The outbox's bound; when full, new events are "
                            + "dropped", l, s.maxBytes())
                    .counter("tower_master_event_sink_delivered", "Events the sink's target acknowledged", l,
                            s.delivered())
                    .counter("tower_master_event_sink_dropped", "Events the sink gave up on (outbox full, "
                            + "undeliverable)", l, s.dropped());
        }
    }

    private static void coreGauges(Gauges g, Census c) {
        Map<String, Integer> tasks = new LinkedHashMap<>();
        c.tasks().forEach((state, n) -> tasks.put(state.name(), n));
        g.gauge("tower_master_tasks", "Tasks by state: active ones and the completed ones the master retains",
                "state", tasks);
        g.gauge("tower_master_agents", "Agents by state", "state", c.agents());
        g.gauge("tower_master_frameworks", "Frameworks by state", "state",
                Map.of("CONNECTED", c.frameworksConnected(), "DISCONNECTED", c.frameworksDisconnected()));
        g.gauge("tower_master_frameworks_suppressed", "Frameworks that suppressed offers", c.frameworksSuppressed());
        g.gauge("tower_master_offers_outstanding", "Offers made and not yet answered, rescinded or expired",
                c.offersOutstanding());
        resources(g, "capacity", "of every known agent", c.capacity());
        resources(g, "allocated", "used by tasks or offered", c.allocated());
        Map<String, Double> weights = new TreeMap<>();
        Map<String, Double> shares = new TreeMap<>();
        for (RoleView r : c.roles()) {
            weights.put(r.name(), r.weight());
            shares.put(r.name(), r.dominantShare());
        }
        g.gauge("tower_master_role_weight", "Each role's weight", "role", weights);
        g.gauge("tower_master_role_dominant_share", "Each role's largest share (0-1) of any cluster resource, used "
                + "and offered", "role", shares);
    }

    /** Base units: memory and disk, kept in MB (2^20 bytes) by Tower, in bytes. */
    private static void resources(Gauges g, String what, String help, Resources r) {
        g.gauge("tower_master_cpus_" + what, "CPUs " + help, r.scalar(Resources.CPUS))
                .gauge("tower_master_gpus_" + what, "GPUs " + help, r.scalar(Resources.GPUS))
                .gauge("tower_master_memory_" + what + "_bytes", "Memory " + help, r.scalar(Resources.MEM) * MB)
                .gauge("tower_master_disk_" + what + "_bytes", "Disk " + help, r.scalar(Resources.DISK) * MB);
    }
}
