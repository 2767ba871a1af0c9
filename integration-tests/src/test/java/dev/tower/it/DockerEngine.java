package dev.tower.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The machine's Docker engine, driven with the {@code docker} CLI as an operator would: is it there, a busybox image
 * made with {@code docker import} (no registry is reachable), and the containers Tower made.
 */
final class DockerEngine {
    static final Path SOCKET = Path.of("/var/run/docker.sock");
    static final Path BUSYBOX = Path.of("/bin/busybox");

    private DockerEngine() {
    }

    /** Why Docker tests cannot run here, or empty when an engine answers and busybox can make an image. */
    static Optional<String> unavailable() {
        if (!Files.exists(SOCKET)) {
            return Optional.of("no Docker engine: " + SOCKET + " does not exist (.ci/run installs docker.io and starts "
                    + "dockerd)");
        }
        Result version = docker("version", "--format", "{{.Server.Version}}");
        if (version.code != 0) {
            return Optional.of("the Docker engine at " + SOCKET + " does not answer: " + version.output.strip());
        }
        if (!Files.isExecutable(BUSYBOX)) {
            return Optional.of("no " + BUSYBOX + " to build a test image from (apt-get install busybox-static)");
        }
        return Optional.empty();
    }

    /** Imports a busybox image as {@code tag} from the machine's static busybox: sh, httpd, dd, sleep and the rest. */
    static void importBusybox(String tag) throws IOException {
        Path root = Files.createTempDirectory("tower-busybox");
        try {
            Path bin = Files.createDirectories(root.resolve("bin"));
            Files.copy(BUSYBOX, bin.resolve("busybox"));
            for (String applet : List.of("sh", "echo", "cat", "sleep", "true", "false", "httpd", "dd", "head", "ls",
                    "env", "id", "wc", "mkdir", "touch", "printf", "wget", "test", "[")) {
                Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
            }
            Files.createDirectories(root.resolve("tmp"));
            Result r = run(List.of("sh", "-c", "tar -C '" + root + "' -c . | docker import - " + tag));
            if (r.code != 0) {
                throw new IOException("docker import failed: " + r.output);
            }
        } finally {
            try (var paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * Imports a Java image as {@code tag} from the JDK running the tests: its runtime (bin, conf, lib) at the same path,
     * the shared libraries it links against (found with {@code ldd}), {@code java} on the PATH, busybox's shell, and a
     * passwd entry for root (Hadoop's login code in Spark wants one). About 200 MB; made once per engine.
     */
    static void importJvm(String tag) throws IOException {
        if (docker("image", "inspect", tag).code == 0) {
            return;
        }
        Path javaHome = Path.of(System.getProperty("java.home")).toRealPath();
        Path root = Files.createTempDirectory("tower-jvm");
        try {
            List<String> script = new ArrayList<>(List.of("set -e", "r='" + root + "'", "j='" + javaHome + "'",
                    "mkdir -p \"$r$j\" \"$r/bin\" \"$r/usr/bin\" \"$r/tmp\" \"$r/etc\"",
                    "for d in bin conf lib release; do if [ -e \"$j/$d\" ]; then cp -rP \"$j/$d\" \"$r$j/\"; fi; done",
                    // Debian's JDK links files from /etc and elsewhere: the image gets the files (dangling links go).
                    "find \"$r$j\" -type l | while read -r l; do t=$(readlink -f \"$j${l#\"$r$j\"}\" || true); "
                            + "rm \"$l\"; if [ -n \"$t\" ] && [ -e \"$t\" ]; then cp -rL \"$t\" \"$l\"; fi; done",
                    "find \"$j/bin\" \"$j/lib\" -type f \\( -name '*.so' -o -perm -u+x \\) -print0 "
                            + "| xargs -0 ldd 2>/dev/null | grep -o '/[^ ]*' | sort -u | while read -r lib; do "
                            + "if [ -e \"$lib\" ]; then mkdir -p \"$r$(dirname \"$lib\")\"; cp -L \"$lib\" \"$r$lib\"; fi; "
                            + "done",
                    "cp '" + BUSYBOX + "' \"$r/bin/busybox\"",
                    "for a in sh cat ls env; do ln -s busybox \"$r/bin/$a\"; done",
                    "ln -s \"$j/bin/java\" \"$r/usr/bin/java\"",
                    "echo 'root:x:0:0:root:/root:/bin/sh' > \"$r/etc/passwd\"",
                    "echo 'root:x:0:' > \"$r/etc/group\"",
                    "tar -C \"$r\" -c . | docker import - " + tag));
            Result r = run(List.of("sh", "-c", String.join("\n", script)));
            if (r.code != 0) {
                throw new IOException("building the JVM image failed: " + r.output);
            }
        } finally {
            try (var paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Ids of the containers (running or not) labelled as the task's. */
    static List<String> containersOf(String taskId) {
        Result r = docker("ps", "-a", "-q", "--no-trunc", "--filter", "label=dev.tower.task-id=" + taskId);
        return r.output.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    /** {@code docker inspect --format F ID}, stripped. */
    static String inspect(String format, String id) {
        return docker("inspect", "--format", format, id).output.strip();
    }

    /** Removes every container labelled with one of Tower's labels of these tasks (a test's leftovers). */
    static void removeContainersOf(List<String> taskIds) {
        for (String task : taskIds) {
            for (String id : containersOf(task)) {
                docker("rm", "-f", id);
            }
        }
    }

    record Result(int code, String output) {
    }

    static Result docker(String... args) {
        List<String> cmd = new ArrayList<>(List.of("docker"));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    private static Result run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out: " + cmd);
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted", e));
        }
    }
}
