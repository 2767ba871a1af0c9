package dev.tower.cli.demo;

import dev.tower.cli.spark.SparkHome;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The demo's Spark step: the example Pi job through {@code spark-submit --master spark+tower://MASTER}, as a child
 * process whose output goes to files. Reports one line, never throws: Spark may not be built, or the job may fail.
 */
public final class SparkPiJob {
    /** {@code line}: the job's "Pi is roughly …" line, or why there is none. */
    public record Outcome(boolean succeeded, String line, List<String> command) {
    }

    private SparkPiJob() {
    }

    /** Why the job cannot run here (Spark not built), or null when it can. */
    public static String unavailable() {
        try {
            SparkHome home = SparkHome.locate();
            return Files.isRegularFile(home.examplesJar()) ? null
                    : "no " + home.examplesJar() + "; " + SparkHome.BUILD_HINT;
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    /** The spark-submit command line of the demo's job. */
    static List<String> command(SparkHome home, String towerMaster) {
        return List.of(home.sparkSubmit().toString(), "--master", "spark+tower://" + towerMaster,
                "--total-executor-cores", "2", "--executor-cores", "1", "--executor-memory", "512m",
                "--class", "dev.tower.spark.examples.Pi", home.examplesJar().toString(), "4");
    }

    /**
     * Runs the job; gives up after {@code timeout}, or as soon as {@code stop} is counted down.
     * stdout goes to {@code dir/spark-pi.out}, stderr (Spark's log) to {@code dir/spark-pi.log}.
     *
     * @param env added to spark-submit's environment (the driver's Tower credential and CA, when the cluster wants them)
     */
    public static Outcome run(String towerMaster, Path dir, Duration timeout, CountDownLatch stop,
                              java.util.Map<String, String> env) {
        SparkHome home;
        try {
            home = SparkHome.locate();
        } catch (IllegalStateException e) {
            return new Outcome(false, "skipped: " + e.getMessage(), List.of());
        }
        if (!Files.isRegularFile(home.examplesJar())) {
            return new Outcome(false, "skipped: no " + home.examplesJar() + "; " + SparkHome.BUILD_HINT, List.of());
        }
        List<String> command = command(home, towerMaster);
        Path out = dir.resolve("spark-pi.out");
        Path log = dir.resolve("spark-pi.log");
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE)
                    .redirectOutput(out.toFile()).redirectError(log.toFile());
            pb.environment().putAll(env);
            p = pb.start();
            p.getOutputStream().close();
        } catch (IOException e) {
            return new Outcome(false, "could not start spark-submit: " + e.getMessage(), command);
        }
        Thread killer = new Thread(() -> stop(p), "tower-demo-spark-stop");
        Runtime.getRuntime().addShutdownHook(killer);
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!p.waitFor(200, TimeUnit.MILLISECONDS)) {
                if (stop.getCount() == 0) {
                    stop(p);
                    return new Outcome(false, "stopped", command);
                }
                if (System.nanoTime() > deadline) {
                    stop(p);
                    return new Outcome(false, "no result within " + timeout.toSeconds() + " s (were executors "
                            + "launched? see ./tower ps --all); Spark's log: " + log, command);
                }
            }
            int exit = p.exitValue();
            String pi = lines(out).stream().filter(l -> l.startsWith("Pi is roughly")).findFirst().orElse(null);
            if (exit == 0 && pi != null) {
                return new Outcome(true, pi, command);
            }
            return new Outcome(false, "failed (exit " + exit + "): " + reason(lines(log), home)
                    + "; Spark's log: " + log, command);
        } catch (InterruptedException e) {
            stop(p);
            Thread.currentThread().interrupt();
            return new Outcome(false, "interrupted", command);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(killer);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    /** The line of Spark's log that says what went wrong, without the stack trace. */
    static String reason(List<String> log, SparkHome home) {
        String found = null;
        for (String line : log) {
            if (line.startsWith("Exception in thread") || line.startsWith("Error: ")) {
                found = line;
            }
        }
        if (found == null) {
            for (String line : log) {
                if (line.contains(" ERROR ")) {
                    found = line;
                }
            }
        }
        if (found == null) {
            return "no error in Spark's log";
        }
        // "Exception in thread "main" org.apache.spark.SparkException: Could not parse ..." → "Could not parse ..."
        int colon = found.indexOf("Exception: ");
        String message = colon >= 0 ? found.substring(colon + "Exception: ".length()) : found;
        if (message.contains("Could not parse Master URL") && message.contains("spark+tower://")) {
            message += " (this Spark has no Tower cluster manager: is a tower-spark.jar with the plug-in in "
                    + home.dir().resolve("jars") + "?)";
        }
        return message.strip();
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return new ArrayList<>();
        }
    }

    private static void stop(Process p) {
        if (!p.isAlive()) {
            return;
        }
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
