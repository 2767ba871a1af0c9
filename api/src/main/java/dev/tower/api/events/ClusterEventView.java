package dev.tower.api.events;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * One cluster event as consumers see it: on the master's events stream ({@code GET /api/v1/events}, one per SSE
 * event, named by its type) and, later, on Kafka. {@code docs/events.md} lists every type and its data.
 *
 * @param id unique across masters and restarts; deliveries are at least once, so dedupe by it
 * @param type dotted name, e.g. {@code task.status}; audit records of API calls start with {@code audit.}
 * @param subject the id of the entity the event is about ({@code frameworkId/taskId} for tasks)
 * @param time when it happened, RFC 3339 in UTC with milliseconds, e.g. {@code 2026-11-21T18:12:52.989Z}
 * @param summary one line for a person, what the master logs
 * @param data the details (a JSON object; decoded as maps and lists)
 */
public record ClusterEventView(String id, String type, String subject, String time, String summary, Object data) {
    public static final String AUDIT_PREFIX = "audit.";

    @JsonIgnore
    public boolean isAudit() {
        return type != null && type.startsWith(AUDIT_PREFIX);
    }
}
