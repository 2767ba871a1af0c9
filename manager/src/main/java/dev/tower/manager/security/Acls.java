package dev.tower.manager.security;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.codec.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who may do what, in the spirit of Mesos's ACLs. A file names, per {@link Permission}, rules of a subject (the
 * authenticated principals) and an object (roles, users, the principals of the frameworks acted on):
 * <pre>{@code
 * {"permissive": false,
 *  "register_frameworks": [{"principals": ["spark"], "roles": ["analytics", "etl"]},
 *                          {"principals": "ANY", "roles": ["*"]}],
 *  "teardown_frameworks": [{"principals": ["ops"], "framework_principals": "ANY"}]}
 * }</pre>
 * Each entity is a list of names, {@code "ANY"} or {@code "NONE"}. The first rule whose principals include the caller
 * and whose object includes (or is {@code NONE} for) the object decides: allowed, or denied for {@code NONE}. When no
 * rule decides, {@code permissive} does (true when left out, as in Mesos).
 */
public final class Acls {
    /** Lets everything: the ACLs of a master given no file. */
    public static final Acls PERMISSIVE = new Acls(true, new EnumMap<>(Permission.class));

    public enum Permission {
        REGISTER_FRAMEWORKS("register_frameworks", "roles", "in role"),
        RUN_TASKS("run_tasks", "users", "as user"),
        TEARDOWN_FRAMEWORKS("teardown_frameworks", "framework_principals", "of frameworks of principal"),
        KILL_TASKS("kill_tasks", "framework_principals", "of frameworks of principal"),
        UPDATE_WEIGHTS("update_weights", "roles", "of role"),
        VIEW_SANDBOXES("view_sandboxes", "framework_principals", "of frameworks of principal"),
        SUBMIT_DRIVERS("submit_drivers", "roles", "in role"),
        REGISTER_AGENTS("register_agents", "agents", "for agent");

        final String key;
        final String objectKey;
        final String objectPhrase;

        Permission(String key, String objectKey, String objectPhrase) {
            this.key = key;
            this.objectKey = objectKey;
            this.objectPhrase = objectPhrase;
        }

        public String key() {
            return key;
        }
    }

    /** A list of names, or every name ({@code ANY}), or none ({@code NONE}). */
    record Entity(boolean any, boolean none, Set<String> values) {
        static final Entity ANY = new Entity(true, false, Set.of());

        boolean includes(String name) {
            return any || (!none && values.contains(name));
        }
    }

    record Rule(Entity principals, Entity object) {
    }

    private final boolean permissive;
    private final Map<Permission, List<Rule>> rules;

    private Acls(boolean permissive, Map<Permission, List<Rule>> rules) {
        this.permissive = permissive;
        this.rules = rules;
    }

    /** What a check found: allowed, or why not. */
    public record Decision(boolean allowed, String permission, String denial) {
        public static final Decision ALLOWED = new Decision(true, null, null);
    }

    /**
     * Whether {@code principal} may do {@code permission} on {@code object} (a role, a user, a framework's principal —
     * null when the framework has none, matched only by {@code ANY}).
     */
    public Decision check(String principal, Permission permission, String object) {
        for (Rule r : rules.getOrDefault(permission, List.of())) {
            if (!r.principals().includes(principal)) {
                continue;
            }
            if (r.object().none()) {
                return denied(principal, permission, object);
            }
            if (r.object().any() || (object != null && r.object().values().contains(object))) {
                return Decision.ALLOWED;
            }
        }
        return permissive ? Decision.ALLOWED : denied(principal, permission, object);
    }

    private static Decision denied(String principal, Permission p, String object) {
        String what = p.key + (object == null ? "" : " " + p.objectPhrase + " '" + object + "'");
        return new Decision(false, p.key, "principal '" + principal + "' lacks permission " + what);
    }

    public boolean permissive() {
        return permissive;
    }

    /** Permissive with no rule: every check allows, so checks that need a lookup can skip it. */
    public boolean isOpen() {
        return permissive && rules.values().stream().allMatch(List::isEmpty);
    }

    /** @throws IllegalArgumentException naming the file and the entry that is wrong */
    public static Acls load(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException("ACL file " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ACL file " + file + ": " + e.getMessage(), e);
        }
    }

    public static Acls parse(String json) {
        JsonNode root;
        try {
            root = Json.mapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("expected a JSON object of permissions");
        }
        boolean permissive = true;
        Map<Permission, List<Rule>> rules = new EnumMap<>(Permission.class);
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("permissive")) {
                if (!e.getValue().isBoolean()) {
                    throw new IllegalArgumentException("permissive: expected true or false");
                }
                permissive = e.getValue().booleanValue();
                continue;
            }
            Permission p = permission(e.getKey());
            if (!e.getValue().isArray()) {
                throw new IllegalArgumentException(p.key + ": expected a list of rules");
            }
            List<Rule> list = new ArrayList<>();
            int i = 0;
            for (JsonNode r : e.getValue()) {
                String where = p.key + "[" + i++ + "]";
                if (!r.isObject()) {
                    throw new IllegalArgumentException(where + ": expected {\"principals\": ..., \"" + p.objectKey + "\": ...}");
                }
                for (Iterator<String> names = r.fieldNames(); names.hasNext(); ) {
                    String n = names.next();
                    if (!n.equals("principals") && !n.equals(p.objectKey)) {
                        throw new IllegalArgumentException(where + "." + n + ": unknown; a rule of " + p.key
                                + " has \"principals\" and \"" + p.objectKey + "\"");
                    }
                }
                list.add(new Rule(entity(where + ".principals", r.get("principals")),
                        r.has(p.objectKey) ? entity(where + "." + p.objectKey, r.get(p.objectKey)) : Entity.ANY));
            }
            rules.put(p, List.copyOf(list));
        }
        return new Acls(permissive, rules);
    }

    private static Permission permission(String key) {
        for (Permission p : Permission.values()) {
            if (p.key.equals(key)) {
                return p;
            }
        }
        List<String> known = new ArrayList<>();
        for (Permission p : Permission.values()) {
            known.add(p.key);
        }
        throw new IllegalArgumentException(key + ": unknown permission; known: permissive, " + String.join(", ", known));
    }

    private static Entity entity(String where, JsonNode n) {
        if (n == null) {
            throw new IllegalArgumentException(where + ": missing");
        }
        if (n.isTextual()) {
            return switch (n.asText()) {
                case "ANY" -> Entity.ANY;
                case "NONE" -> new Entity(false, true, Set.of());
                default -> throw new IllegalArgumentException(where + ": expected a list of names, \"ANY\" or \"NONE\"");
            };
        }
        if (!n.isArray()) {
            throw new IllegalArgumentException(where + ": expected a list of names, \"ANY\" or \"NONE\"");
        }
        Set<String> values = new LinkedHashSet<>();
        for (JsonNode v : n) {
            if (!v.isTextual() || v.asText().isEmpty()) {
                throw new IllegalArgumentException(where + ": names must be non-empty strings");
            }
            values.add(v.asText());
        }
        return new Entity(false, false, Set.copyOf(values));
    }
}
