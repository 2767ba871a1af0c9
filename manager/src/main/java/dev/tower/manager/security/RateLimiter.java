package dev.tower.manager.security;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Calls per second per principal, as token buckets: each principal may send {@code burst} calls at once and
 * {@code perSecond} on average; a call over that is refused (429) rather than queued, so one framework's storm of calls
 * cannot crowd out the others on the master's core.
 */
public final class RateLimiter {
    private final double perSecond;
    private final double burst;
    private final LongSupplier nanoClock;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(double perSecond, double burst, LongSupplier nanoClock) {
        if (!(perSecond > 0) || !(burst >= 1)) {
            throw new IllegalArgumentException("rate limit: need calls per second > 0 and a burst >= 1");
        }
        this.perSecond = perSecond;
        this.burst = burst;
        this.nanoClock = nanoClock;
    }

    /** {@code perSecond} calls a second, bursts of twice that (at least 1). */
    public static RateLimiter perSecond(double perSecond) {
        return new RateLimiter(perSecond, Math.max(1, 2 * perSecond), System::nanoTime);
    }

    public double rate() {
        return perSecond;
    }

    /** Whether {@code principal} may make one more call now (taking it from its bucket if so). */
    public boolean tryAcquire(String principal) {
        return buckets.computeIfAbsent(principal, p -> new Bucket(burst, nanoClock.getAsLong())).take(nanoClock.getAsLong());
    }

    private final class Bucket {
        private double tokens;
        private long last;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.last = now;
        }

        synchronized boolean take(long now) {
            tokens = Math.min(burst, tokens + (now - last) / 1e9 * perSecond);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        }
    }
}
