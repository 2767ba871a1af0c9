package dev.tower.api.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Pauses between rounds of attempts: doubling from {@code initial} to {@code max}, each pause drawn from the upper
 * half of its step so that many clients cut off by the same master failure do not all come back at once.
 */
final class Backoff {
    static final Duration INITIAL = Duration.ofMillis(100);
    static final Duration MAX = Duration.ofSeconds(5);

    private final Duration initial;
    private final Duration max;
    private Duration step;

    Backoff() {
        this(INITIAL, MAX);
    }

    Backoff(Duration initial, Duration max) {
        this.initial = initial;
        this.max = max;
        this.step = initial;
    }

    Duration next() {
        long nanos = step.toNanos();
        Duration doubled = step.multipliedBy(2);
        step = doubled.compareTo(max) > 0 ? max : doubled;
        long half = nanos / 2;
        return Duration.ofNanos(half + ThreadLocalRandom.current().nextLong(nanos - half + 1));
    }

    void reset() {
        step = initial;
    }
}
