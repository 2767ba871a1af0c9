package dev.tower.api.operator;

import dev.tower.api.model.Resources;

import java.util.List;
import java.util.Map;

/**
 * What {@code GET /api/v1/summary} returns: the cluster at a glance, cheap to read at any size (counts, not lists).
 *
 * @param agents       agents by state (ACTIVE, UNREACHABLE, RECOVERING)
 * @param frameworks   frameworks by state (CONNECTED, DISCONNECTED), plus SUPPRESSED counted separately
 * @param tasks        active and remembered completed tasks by state
 * @param total        every agent's resources
 * @param allocated    resources used by tasks or held in outstanding offers
 * @param offers       outstanding offers
 */
public record SummaryView(
        String masterId,
        String version,
        double startedAt,
        long epoch,
        Map<String, Integer> agents,
        Map<String, Integer> frameworks,
        Map<String, Integer> tasks,
        int offers,
        Resources total,
        Resources allocated,
        List<RoleView> roles) {
}
