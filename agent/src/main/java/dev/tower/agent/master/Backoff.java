package dev.tower.agent.master;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with jitter, so that many agents losing the same master do not come back in lockstep.
 * Each delay is drawn from [d/2, d] where d doubles from {@code initial} up to {@code max}.
 */
public final class Backoff {
    private final Duration initial;
    private final Duration max;
    private final RandomGenerator random;
    private Duration next;

    public Backoff(Duration initial, Duration max, RandomGenerator random) {
        this.initial = initial;
        this.max = max;
        this.random = random;
        this.next = initial;
    }

    public Duration next() {
        Duration d = next;
        Duration doubled = d.multipliedBy(2);
        next = doubled.compareTo(max) > 0 ? max : doubled;
        long ms = Math.max(1, d.toMillis());
        return Duration.ofMillis(ms / 2 + random.nextLong(ms / 2 + 1));
    }

    public void reset() {
        next = initial;
    }
}
