package dev.tower.api.operator;

import dev.tower.api.model.Resources;

import java.util.List;

/**
 * @param dominantShare the role's largest share of any cluster resource (used + offered)
 * @param weightedShare {@code dominantShare / weight}, what weighted DRF equalises
 */
public record RoleView(
        String name,
        double weight,
        Resources allocated,
        double dominantShare,
        double weightedShare,
        List<String> frameworks) {
}
