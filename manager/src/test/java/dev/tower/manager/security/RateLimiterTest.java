package dev.tower.manager.security;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RateLimiterTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final RateLimiter limiter = new RateLimiter(10, 20, now::get);

    @Test
    void aPrincipalGetsItsBurstThenItsRate() {
        for (int i = 0; i < 20; i++) {
            assertThat(limiter.tryAcquire("spark")).as("call %d of the burst", i).isTrue();
        }
        assertThat(limiter.tryAcquire("spark")).isFalse();
        now.addAndGet(100_000_000L); // 0.1 s: one call's worth
        assertThat(limiter.tryAcquire("spark")).isTrue();
        assertThat(limiter.tryAcquire("spark")).isFalse();
        now.addAndGet(60_000_000_000L); // a minute idle refills no more than the burst
        int allowed = 0;
        while (limiter.tryAcquire("spark")) {
            allowed++;
        }
        assertThat(allowed).isEqualTo(20);
    }

    @Test
    void principalsHaveBucketsOfTheirOwn() {
        while (limiter.tryAcquire("greedy")) {
            // empties its bucket
        }
        assertThat(limiter.tryAcquire("greedy")).isFalse();
        assertThat(limiter.tryAcquire("polite")).isTrue();
    }

    @Test
    void aRateMustBePositive() {
        assertThatThrownBy(() -> new RateLimiter(0, 1, now::get)).hasMessageContaining("calls per second > 0");
        assertThat(RateLimiter.perSecond(0.2).tryAcquire("x")).isTrue();
    }
}
