package dev.tower.agent.isolation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The control files of one cgroup directory: one value per file ({@code memory.limit_in_bytes}) or one
 * {@code key value} pair per line ({@code memory.oom_control}, {@code cpu.stat}).
 */
final class ControlFiles {
    private final Path dir;

    ControlFiles(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    boolean has(String file) {
        return Files.exists(dir.resolve(file));
    }

    /** Writes {@code value}; the kernel rejects a value it does not take with an error, reported with the file. */
    void write(String file, String value) throws IsolationException {
        try {
            Files.writeString(dir.resolve(file), value, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IsolationException("cannot write " + value + " to " + dir.resolve(file) + ": " + e.getMessage());
        }
    }

    /** The file's single number; empty when it is missing or unreadable (the cgroup is gone, say). */
    OptionalLong number(String file) {
        String text = read(file);
        try {
            return text == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(text.strip()));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** The number after {@code key} in a file of {@code key value} lines; empty when there is none. */
    OptionalLong keyed(String file, String key) {
        String text = read(file);
        if (text == null) {
            return OptionalLong.empty();
        }
        for (String line : text.split("\n")) {
            String[] kv = line.trim().split("\\s+");
            if (kv.length == 2 && kv[0].equals(key)) {
                try {
                    return OptionalLong.of(Long.parseLong(kv[1]));
                } catch (NumberFormatException e) {
                    return OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }

    /** The pids listed in {@code cgroup.procs}. */
    long[] procs() {
        String text = read("cgroup.procs");
        return text == null ? new long[0] : text.lines().filter(l -> !l.isBlank()).mapToLong(Long::parseLong).toArray();
    }

    private String read(String file) {
        try {
            return Files.readString(dir.resolve(file), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            // Missing (the cgroup was removed, the kernel lacks the controller) counts as unknown, not as an error.
            return null;
        }
    }
}
