package dev.tower.manager.core;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** A clock that moves only when a test says so. */
final class ManualClock implements InstantSource {
    private long millis;

    ManualClock(long startMillis) {
        this.millis = startMillis;
    }

    ManualClock() {
        this(Instant.parse("2025-01-01T00:00:00Z").toEpochMilli());
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis);
    }

    @Override
    public long millis() {
        return millis;
    }

    void advance(Duration d) {
        millis += d.toMillis();
    }

    void advanceMillis(long ms) {
        millis += ms;
    }
}
