package dev.tower.hadoop.framework;

/** Quoting for {@code /bin/sh -c} command lines. */
final class Shell {
    private Shell() {
    }

    /** {@code s} as one shell word, unchanged by the shell. */
    static String quote(String s) {
        if (!s.isEmpty() && s.chars().allMatch(c -> Character.isLetterOrDigit(c) || "-_./:=@,+%".indexOf(c) >= 0)) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
