package dev.tower.manager.core;

import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.Resources;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** The master's picture of one agent. Mutated only by {@link MasterCore}. */
final class AgentRecord {
    /** RECOVERING: known from the registry after a master failover, not re-subscribed yet. */
    enum Status { ACTIVE, UNREACHABLE, RECOVERING }

    AgentInfo info;
    String connectionId;
    Status status = Status.ACTIVE;
    long registeredAt;
    long lastSeen;
    long unreachableSince;
    Resources used = Resources.EMPTY;
    Resources offered = Resources.EMPTY;
    final Set<String> taskKeys = new LinkedHashSet<>();
    final Map<String, OfferRecord> offers = new LinkedHashMap<>();

    AgentRecord(AgentInfo info, long now) {
        this.info = info;
        this.registeredAt = now;
        this.lastSeen = now;
    }

    String id() {
        return info.id();
    }

    boolean connected() {
        return status == Status.ACTIVE && connectionId != null;
    }
}
