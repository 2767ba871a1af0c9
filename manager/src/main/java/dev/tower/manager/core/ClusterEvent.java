package dev.tower.manager.core;

/**
 * A state change of the cluster, or (type {@code audit.*}) a record of a state-changing API call.
 *
 * @param id unique across masters and restarts, stamped by the master's event bus (null until then); consumers of
 *           at-least-once deliveries dedupe by it
 * @param type dotted name, e.g. {@code task.status}, {@code agent.added}, {@code offer.rescinded}, {@code audit.launch}
 * @param subject the id of the entity it is about (task events: {@code frameworkId/taskId})
 * @param summary one human-readable line, what the master logs
 * @param data the details, serialised as JSON
 */
public record ClusterEvent(String id, String type, String subject, String summary, Object data, long timeMillis) {
    public static final String AUDIT_PREFIX = "audit.";

    /** An event without an id yet; the bus stamps it. */
    public ClusterEvent(String type, String subject, String summary, Object data, long timeMillis) {
        this(null, type, subject, summary, data, timeMillis);
    }

    public boolean isAudit() {
        return type.startsWith(AUDIT_PREFIX);
    }

    public ClusterEvent withId(String newId) {
        return new ClusterEvent(newId, type, subject, summary, data, timeMillis);
    }
}
