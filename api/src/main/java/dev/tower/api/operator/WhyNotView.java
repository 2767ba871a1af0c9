package dev.tower.api.operator;

import java.util.List;

/** Why a framework is not being offered an agent's resources right now. */
public record WhyNotView(String frameworkId, List<Entry> agents) {

    /**
     * @param code a stable machine-readable reason: OFFERED, FRAMEWORK_DISCONNECTED, SUPPRESSED, FILTERED, NO_FREE_RESOURCES,
     *             OFFER_OUTSTANDING, ROLE_OVER_SHARE, AGENT_UNREACHABLE, PENDING_ALLOCATION
     * @param reason the same for a person, e.g. "filtered until 12:03:05 (declined with refuseSeconds=60)"
     */
    public record Entry(String agentId, String hostname, String code, String reason) {
    }
}
