package dev.tower.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One JVM started by a {@link Cluster}, with its output in files under {@code target/it-logs/}. */
public record TowerProcess(String name, Process process, Path stdout, Path stderr) {

    /** Kills the process and its descendants (task processes) and waits for it. */
    public void destroy() {
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        all.add(process.toHandle());
        all.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for the process to exit and returns its exit code; fails with its output's tail if it does not. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(name + " did not finish within " + timeout + "\n" + tail(60));
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Everything it wrote to stdout so far. */
    public String out() {
        return read(stdout);
    }

    /** Everything it wrote to stderr so far. */
    public String err() {
        return read(stderr);
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The last lines of stdout and stderr. */
    public String tail(int lines) {
        return "-- stdout --\n" + tailOf(stdout, lines) + "\n-- stderr --\n" + tailOf(stderr, lines);
    }

    private static String tailOf(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }
}
