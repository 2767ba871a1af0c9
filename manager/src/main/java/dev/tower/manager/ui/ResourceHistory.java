package dev.tower.manager.ui;

import dev.tower.api.operator.ResourceSample;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The cluster's total and allocated resources, sampled at a fixed interval over a sliding window (an hour by
 * default): what the web UI's overview charts. Kept by the master across terms, so a chart shows the gap of a
 * failover rather than starting over; a master that never led has none.
 */
public final class ResourceHistory {
    private final int capacity;
    private final ArrayDeque<ResourceSample> samples;

    public ResourceHistory(Duration window, Duration interval) {
        if (interval.isZero() || interval.isNegative() || window.compareTo(interval) < 0) {
            throw new IllegalArgumentException("need 0 < interval <= window; got " + interval + " and " + window);
        }
        this.capacity = (int) (window.toMillis() / interval.toMillis());
        this.samples = new ArrayDeque<>(capacity);
    }

    public synchronized void add(ResourceSample sample) {
        if (samples.size() == capacity) {
            samples.removeFirst();
        }
        samples.addLast(sample);
    }

    /** Oldest first. */
    public synchronized List<ResourceSample> samples() {
        return List.copyOf(samples);
    }
}
