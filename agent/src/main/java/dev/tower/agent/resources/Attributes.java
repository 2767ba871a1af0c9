package dev.tower.agent.resources;

import java.util.LinkedHashMap;
import java.util.Map;

/** Agent attributes from the {@code --attributes} flag, {@code rack:r1;zone:a}, used by frameworks for placement. */
public final class Attributes {
    private Attributes() {
    }

    /** Throws {@link IllegalArgumentException} naming the malformed attribute. */
    public static Map<String, String> parse(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return out;
        }
        for (String part : text.split(";")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int colon = p.indexOf(':');
            if (colon <= 0 || colon == p.length() - 1) {
                throw new IllegalArgumentException("attribute '" + p + "' is not of the form name:value");
            }
            String name = p.substring(0, colon).trim();
            if (out.put(name, p.substring(colon + 1).trim()) != null) {
                throw new IllegalArgumentException("attribute '" + name + "' is given twice");
            }
        }
        return out;
    }
}
