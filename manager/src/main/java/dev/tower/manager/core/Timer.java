package dev.tower.manager.core;

/** A deadline in the core. Stale timers are not removed; each is checked against the current state when it fires. */
record Timer(long at, Kind kind, String key) implements Comparable<Timer> {
    enum Kind { OFFER_TIMEOUT, FAILOVER, AGENT_PING, AGENT_LOST, STATUS_RETRY, REREGISTER_DEADLINE, DRIVER_RELAUNCH }

    @Override
    public int compareTo(Timer o) {
        return Long.compare(at, o.at);
    }
}
