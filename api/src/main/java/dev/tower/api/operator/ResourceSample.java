package dev.tower.api.operator;

import dev.tower.api.model.Resources;

/** The cluster's resources at one moment ({@code GET /api/v1/history}); {@code time} in seconds since the epoch. */
public record ResourceSample(double time, Resources total, Resources allocated) {
}
