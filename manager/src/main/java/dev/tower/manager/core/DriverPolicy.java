package dev.tower.manager.core;

import java.time.Duration;

/**
 * How supervised drivers ({@code spark-submit --supervise}) are restarted: after a failure, a driver waits
 * {@code backoffInitial}, doubled after each further failure up to {@code backoffMax}, and is started again at most
 * {@code maxRetries} times; the next failure is final.
 */
public record DriverPolicy(int maxRetries, Duration backoffInitial, Duration backoffMax) {
    public static final DriverPolicy DEFAULT = new DriverPolicy(3, Duration.ofSeconds(5), Duration.ofMinutes(1));

    public DriverPolicy {
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must be >= 0, got " + maxRetries);
        }
        if (backoffInitial == null || backoffInitial.isNegative() || backoffMax == null
                || backoffMax.compareTo(backoffInitial) < 0) {
            throw new IllegalArgumentException("backoff must be >= 0 and its maximum at least its start");
        }
    }

    /** The wait before relaunch number {@code relaunch} (1 for the first). */
    public long backoffMillis(int relaunch) {
        long d = backoffInitial.toMillis();
        for (int i = 1; i < relaunch && d < backoffMax.toMillis(); i++) {
            d *= 2;
        }
        return Math.min(d, backoffMax.toMillis());
    }
}
