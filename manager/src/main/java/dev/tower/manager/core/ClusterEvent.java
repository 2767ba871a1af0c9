package dev.tower.manager.core;

/**
 * A state change of the cluster.
 *
 * @param type dotted name, e.g. {@code task.status}, {@code agent.added}, {@code offer.rescinded}
 * @param subject the id of the entity it is about (task events: {@code frameworkId/taskId})
 * @param summary one human-readable line, what the master logs
 * @param data the details, serialised as JSON
 */
public record ClusterEvent(String type, String subject, String summary, Object data, long timeMillis) {
}
