package dev.tower.manager.metrics;

import dev.tower.manager.events.EventSink;
import dev.tower.manager.runtime.CoreLoop;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.time.InstantSource;

/**
 * One master's metrics, in a registry of its own (several masters may share a JVM: tests, {@code tower up --masters
 * 3}), never the client's global one. The counters and histograms are fed at the edges of the core — the core loop
 * ({@link #coreObserver}) and the event bus ({@link #eventSink}) — and the gauges are read when scraped.
 */
public final class MasterMetrics {
    /** {@code text/plain; version=0.0.4; charset=utf-8}. */
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final CoreCommandMetrics commands;
    private final ClusterEventMetrics events;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    public MasterMetrics(MasterStatus master) {
        this.commands = new CoreCommandMetrics(registry);
        this.events = new ClusterEventMetrics(registry, InstantSource.system());
        registry.register(new MasterStateCollector(master, registry));
        JvmMetrics.builder().register(registry);
    }

    /** Handed to each term's core loop. */
    public CoreLoop.Observer coreObserver() {
        return commands;
    }

    /** Added to the master's event bus. */
    public EventSink eventSink() {
        return events;
    }

    /**
     * Drops every metric. The JVM collectors keep a static set of the registries they were added to, so without this
     * a closed master would stay reachable for as long as the JVM runs (several are started and stopped in one JVM by
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
