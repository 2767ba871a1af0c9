package dev.tower.manager.core;

import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Resources;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** The master's picture of one framework. Mutated only by {@link MasterCore}. */
final class FrameworkRecord {
    FrameworkInfo info;
    String connectionId;
    long registeredAt;
    /** Set while disconnected: when the framework is removed unless it re-subscribes. */
    long failoverDeadline;
    Resources used = Resources.EMPTY;
    Resources offered = Resources.EMPTY;
    final Set<String> taskKeys = new LinkedHashSet<>();
    final Map<String, OfferRecord> offers = new LinkedHashMap<>();

    FrameworkRecord(FrameworkInfo info, long now) {
        this.info = info;
        this.registeredAt = now;
    }

    String id() {
        return info.id();
    }

    boolean connected() {
        return connectionId != null;
    }
}
