package dev.tower.spark;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which agents may run this application's executors, from {@code spark.tower.constraints}: attribute requirements
 * separated by {@code ;}, each {@code key:value} (the agent's attribute must equal it), {@code key:v1,v2} (any of
 * these), or a bare {@code key} (the agent must have the attribute). The syntax is the one Spark on Mesos used for
 * {@code spark.mesos.constraints}, so existing settings carry over.
 */
public final class AgentConstraints {
    public static final AgentConstraints NONE = new AgentConstraints(Map.of(), "");

    /** Attribute name to accepted values; an empty set means "any value". */
    private final Map<String, Set<String>> required;
    private final String text;

    private AgentConstraints(Map<String, Set<String>> required, String text) {
        this.required = required;
        this.text = text;
    }

    /** Throws {@link IllegalArgumentException} with a message that does not name the setting (the caller does). */
    public static AgentConstraints parse(String text) {
        if (text == null || text.isBlank()) {
            return NONE;
        }
        Map<String, Set<String>> required = new LinkedHashMap<>();
        for (String part : text.split(";")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int colon = p.indexOf(':');
            String key = (colon < 0 ? p : p.substring(0, colon)).trim();
            if (key.isEmpty()) {
                throw new IllegalArgumentException("\"" + p + "\" has no attribute name (expected key:value)");
            }
            if (required.containsKey(key)) {
                throw new IllegalArgumentException("attribute \"" + key + "\" is constrained twice");
            }
            if (colon < 0) {
                required.put(key, Set.of());
                continue;
            }
            LinkedHashSet<String> values = new LinkedHashSet<>();
            for (String v : p.substring(colon + 1).split(",")) {
                if (!v.isBlank()) {
                    values.add(v.trim());
                }
            }
            if (values.isEmpty()) {
                throw new IllegalArgumentException("attribute \"" + key + "\" has no value after ':'");
            }
            required.put(key, Set.copyOf(values));
        }
        return new AgentConstraints(Map.copyOf(required), text.trim());
    }

    public boolean isEmpty() {
        return required.isEmpty();
    }

    public boolean matches(Map<String, String> attributes) {
        for (Map.Entry<String, Set<String>> r : required.entrySet()) {
            String have = attributes.get(r.getKey());
            if (have == null || (!r.getValue().isEmpty() && !r.getValue().contains(have))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return text;
    }
}
