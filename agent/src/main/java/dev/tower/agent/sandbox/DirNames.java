package dev.tower.agent.sandbox;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Framework and task ids become directory names under the work dir. Ids come from frameworks, so anything that could
 * climb out of the parent ({@code /}, {@code ..}) is percent-encoded; ordinary ids stay readable.
 */
public final class DirNames {
    private DirNames() {
    }

    public static String encode(String id) {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("an empty id cannot name a directory");
        }
        String e = URLEncoder.encode(id, StandardCharsets.UTF_8);
        if (e.equals(".") || e.equals("..")) {
            return e.replace(".", "%2E");
        }
        // URLEncoder turns spaces into '+', which would make "a b" and "a+b" collide.
        return e.replace("+", "%20").replace("*", "%2A");
    }

    public static String decode(String name) {
        return URLDecoder.decode(name.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
