package dev.tower.spark;

import java.util.List;
import java.util.regex.Pattern;

/** Quoting for the {@code /bin/sh -c} command lines executors run with. */
final class Shell {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private Shell() {
    }

    /** The word as the shell will read it back: unchanged when it has no special characters, else single-quoted. */
    static String quote(String word) {
        if (SAFE.matcher(word).matches()) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }

    static String join(List<String> words) {
        StringBuilder sb = new StringBuilder();
        for (String w : words) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(quote(w));
        }
        return sb.toString();
    }
}
