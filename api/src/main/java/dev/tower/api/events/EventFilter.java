package dev.tower.api.events;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Which cluster events a consumer wants, the same for every source (the master's events stream applies it before
 * sending; other sources apply it as they read). An event matches when its type starts with one of {@code types}
 * (all types when there are none: {@code task} matches {@code task.status}, {@code audit} every audit record) and,
 * when {@code subject} is given, its subject is that id or starts with it and a {@code /} (so a framework's id also
 * matches its tasks, whose subjects are {@code frameworkId/taskId}).
 */
public record EventFilter(List<String> types, String subject) {
    public static final EventFilter ALL = new EventFilter(List.of(), null);
    private static final Pattern TYPE_PREFIX = Pattern.compile("[A-Za-z0-9_.\\-]{1,128}");

    public EventFilter {
        types = types == null ? List.of() : List.copyOf(types);
        subject = subject == null || subject.isBlank() ? null : subject.trim();
    }

    /**
     * From the {@code type} values a user gave (each may list several, comma-separated) and a subject.
     *
     * @throws IllegalArgumentException naming {@code type} when one is not a type prefix
     */
    public static EventFilter of(Collection<String> typeValues, String subject) {
        List<String> types = new ArrayList<>();
        if (typeValues != null) {
            for (String value : typeValues) {
                if (value == null) {
                    continue;
                }
                for (String part : value.split(",")) {
                    String p = part.trim();
                    if (p.isEmpty()) {
                        continue;
                    }
                    if (!TYPE_PREFIX.matcher(p).matches()) {
                        throw new IllegalArgumentException("type: '" + p + "' is not an event type or a prefix of one"
                                + " (letters, digits, . _ -), e.g. task.status, task, audit");
                    }
                    if (!types.contains(p)) {
                        types.add(p);
                    }
                }
            }
        }
        return new EventFilter(types, subject);
    }

    public boolean matches(String type, String eventSubject) {
        if (!types.isEmpty() && types.stream().noneMatch(type::startsWith)) {
            return false;
        }
        return subject == null || (eventSubject != null && (eventSubject.equals(subject)
                || eventSubject.startsWith(subject) && eventSubject.startsWith("/", subject.length())));
    }

    public boolean matches(ClusterEventView event) {
        return matches(event.type(), event.subject());
    }

    /** The query string of {@code GET /api/v1/events} for this filter: empty, or {@code ?type=...&subject=...}. */
    public String query() {
        List<String> params = new ArrayList<>();
        if (!types.isEmpty()) {
            params.add("type=" + URLEncoder.encode(String.join(",", types), StandardCharsets.UTF_8));
        }
        if (subject != null) {
            params.add("subject=" + URLEncoder.encode(subject, StandardCharsets.UTF_8));
        }
        return params.isEmpty() ? "" : "?" + String.join("&", params);
    }
}
