package dev.tower.spark;

import java.util.ArrayList;
import java.util.List;

/** Splits a java options string the way a shell (and Spark's launcher) would: quotes group, backslash escapes. */
final class JavaOptions {
    private JavaOptions() {
    }

    static List<String> split(String options) {
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < options.length(); i++) {
            char c = options.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\\' && quote == '"' && i + 1 < options.length()) {
                    word.append(options.charAt(++i));
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '\\' && i + 1 < options.length()) {
                word.append(options.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    out.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unterminated " + quote + " quote in java options: " + options);
        }
        if (inWord) {
            out.add(word.toString());
        }
        return out;
    }
}
