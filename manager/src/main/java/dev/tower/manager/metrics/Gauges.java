package dev.tower.manager.metrics;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds the snapshots of values read at scrape time (rather than kept in a metric object between scrapes). */
final class Gauges {
    private final List<MetricSnapshot> snapshots = new ArrayList<>();

    Gauges gauge(String name, String help, double value) {
        snapshots.add(GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).build()).build());
        return this;
    }

    Gauges gauge(String name, String help, Labels labels, double value) {
        snapshots.add(GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(value).build()).build());
        return this;
    }

    /** One series per entry, labelled {@code label=key}. */
    Gauges gauge(String name, String help, String label, Map<String, ? extends Number> values) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        values.forEach((k, v) -> b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                .labels(Labels.of(label, k)).value(v.doubleValue()).build()));
        snapshots.add(b.build());
        return this;
    }

    /** A value counted elsewhere (an event sink's delivered events, say); {@code name} without {@code _total}. */
    Gauges counter(String name, String help, Labels labels, double value) {
        snapshots.add(CounterSnapshot.builder().name(name).help(help)
                .dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels).value(value).build())
                .build());
        return this;
    }

    List<MetricSnapshot> snapshots() {
        return snapshots;
    }
}
