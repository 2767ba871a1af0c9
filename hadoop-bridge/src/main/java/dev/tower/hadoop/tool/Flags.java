package dev.tower.hadoop.tool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code --name value} flags and positional arguments, as {@code tower yarn} passes them on. */
final class Flags {
    private final Map<String, String> values = new HashMap<>();
    private final List<String> positional = new ArrayList<>();

    Flags(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.startsWith("--")) {
                int eq = a.indexOf('=');
                if (eq > 0) {
                    values.put(a.substring(2, eq), a.substring(eq + 1));
                } else if (i + 1 < args.size()) {
                    values.put(a.substring(2), args.get(++i));
                } else {
                    throw new IllegalArgumentException(a + " needs a value");
                }
            } else {
                positional.add(a);
            }
        }
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    int integer(String name, int fallback) {
        String v = values.get(name);
        try {
            return v == null ? fallback : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + ": '" + v + "' is not a whole number");
        }
    }

    double number(String name, double fallback) {
        String v = values.get(name);
        try {
            return v == null ? fallback : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + ": '" + v + "' is not a number");
        }
    }

    /** {@code 500ms}, {@code 10s}, {@code 2m}; a bare number is seconds. */
    Duration duration(String name, Duration fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return Duration.ofMillis((long) (Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
            }
            if (v.endsWith("m")) {
                return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)) * 60);
            }
            return Duration.ofMillis((long) (Double.parseDouble(v) * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + ": '" + v + "' is not a duration (like 10s)");
        }
    }

    List<String> positional() {
        return positional;
    }
}
