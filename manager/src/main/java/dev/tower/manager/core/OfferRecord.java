package dev.tower.manager.core;

import dev.tower.api.model.Resources;

record OfferRecord(String id, String frameworkId, String agentId, Resources resources, long expiresAt) {
}
