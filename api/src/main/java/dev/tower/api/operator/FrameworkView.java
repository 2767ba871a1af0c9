package dev.tower.api.operator;

import dev.tower.api.model.Resources;

/** @param state CONNECTED or DISCONNECTED (waiting for failover until {@code failoverDeadline}) */
public record FrameworkView(
        String id,
        String name,
        String role,
        String principal,
        String state,
        boolean suppressed,
        double failoverTimeoutSeconds,
        Double failoverDeadline,
        Resources used,
        Resources offered,
        int activeTasks,
        int outstandingOffers,
        double registeredAt) {
}
