package dev.tower.cli.demo;

import dev.tower.cli.YarnCommand;
import dev.tower.cli.hadoop.HadoopHome;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The demo's Hadoop step: {@code tower yarn start} on the demo's cluster, then the stock MapReduce WordCount
 * ({@code hadoop jar hadoop-mapreduce-examples wordcount}) with the configuration {@code tower yarn client-config}
 * writes, then the bridge is stopped. Every process is a child whose output goes to files under the demo's dir.
 * Reports one line, never throws: the Hadoop home may not be built, or the job may fail.
 */
public final class WordCountJob {
    static final String EXAMPLES = "examples/hadoop-mapreduce-examples-3.4.2.jar";
    private static final String[] TEXT = {
        "tower offers the resources of every agent to every framework",
        "spark and hadoop and docker share the agents through offers",
        "the master offers resources by weighted drf and frameworks accept offers",
        "yarn runs unchanged on nodemanagers that tower grows and shrinks",
    };

    /** {@code line}: the top words, or why there are none. */
    public record Outcome(boolean succeeded, String line) {
    }

    private WordCountJob() {
    }

    /** Why the job cannot run here (the Hadoop home is not built), or null when it can. */
    public static String unavailable() {
        try {
            HadoopHome home = HadoopHome.locate();
            return Files.isRegularFile(home.dir().resolve(EXAMPLES)) ? null
                    : "no " + home.dir().resolve(EXAMPLES) + "; " + HadoopHome.BUILD_HINT;
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    /**
     * Runs it all; gives up after {@code timeout}, or as soon as {@code stop} is counted down.
     *
     * @param env added to the environment of the Tower clients it starts (the bridge's credential and CA)
     */
    public static Outcome run(String towerMaster, Path dir, Duration timeout, CountDownLatch stop,
                              Map<String, String> env) {
        HadoopHome home;
        try {
            home = HadoopHome.locate();
        } catch (IllegalStateException e) {
            return new Outcome(false, "skipped: " + e.getMessage());
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Process> started = new ArrayList<>();
        Thread killer = new Thread(() -> started.forEach(WordCountJob::stop), "tower-demo-yarn-stop");
        Runtime.getRuntime().addShutdownHook(killer);
        try {
            Path work = Files.createDirectories(dir.resolve("wordcount"));
            Path in = writeInput(work.resolve("in"));
            Process bridge = start(started, YarnCommand.toolCommand(home, List.of("start", "--master", towerMaster,
                    "--nodemanagers", "2", "--idle-release", "5s")), work.resolve("yarn-bridge.out"),
                    work.resolve("yarn-bridge.log"), env);
            if (!await(() -> contains(work.resolve("yarn-bridge.out"), "YARN ready") || !bridge.isAlive(), deadline,
                    stop) || !bridge.isAlive()) {
                return new Outcome(false, "YARN did not start (" + (bridge.isAlive() ? "no answer within "
                        + timeout.toSeconds() + " s" : "the bridge exited") + "); its log: "
                        + work.resolve("yarn-bridge.log"));
            }
            Path conf = work.resolve("conf");
            Process config = start(started, YarnCommand.toolCommand(home, List.of("client-config", conf.toString(),
                    "--master", towerMaster)), work.resolve("client-config.out"), work.resolve("client-config.log"),
                    env);
            if (!await(() -> !config.isAlive(), deadline, stop) || config.exitValue() != 0) {
                return new Outcome(false, "tower yarn client-config failed; see " + work.resolve("client-config.log"));
            }
            Path out = work.resolve("out");
            Process job = start(started, List.of(home.dir().resolve("bin/hadoop").toString(), "jar",
                            home.dir().resolve(EXAMPLES).toString(), "wordcount", in.toUri().toString(),
                            out.toUri().toString()), work.resolve("wordcount.out"), work.resolve("wordcount.log"),
                    Map.of("HADOOP_CONF_DIR", conf.toString(), "JAVA_HOME", System.getProperty("java.home")));
            if (!await(() -> !job.isAlive(), deadline, stop)) {
                return new Outcome(false, stop.getCount() == 0 ? "stopped"
                        : "no result within " + timeout.toSeconds() + " s; its log: " + work.resolve("wordcount.log"));
            }
            if (job.exitValue() != 0) {
                return new Outcome(false, "failed (exit " + job.exitValue() + "); its log: "
                        + work.resolve("wordcount.log"));
            }
            return new Outcome(true, "top words: " + String.join(", ", topWords(out, 5)));
        } catch (IOException | UncheckedIOException e) {
            return new Outcome(false, "failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(false, "interrupted");
        } finally {
            started.forEach(WordCountJob::stop); // the bridge tears its framework down when it stops
            try {
                Runtime.getRuntime().removeShutdownHook(killer);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    /** The {@code n} most frequent words of WordCount's output ({@code word<TAB>count} lines), as {@code word count}. */
    static List<String> topWords(Path out, int n) throws IOException {
        Map<String, Long> counts = new HashMap<>();
        try (Stream<Path> parts = Files.list(out)) {
            for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
                for (String line : Files.readAllLines(part, StandardCharsets.UTF_8)) {
                    String[] kv = line.split("\t");
                    if (kv.length == 2) {
                        counts.merge(kv[0], Long.parseLong(kv[1].trim()), Long::sum);
                    }
                }
            }
        }
        return counts.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .limit(n).map(e -> e.getKey() + " " + e.getValue()).toList();
    }

    private static Path writeInput(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (int f = 0; f < 4; f++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 500; i++) {
                sb.append(TEXT[(i + f) % TEXT.length]).append('\n');
            }
            Files.writeString(dir.resolve("part-" + f + ".txt"), sb.toString());
        }
        return dir;
    }

    private static Process start(List<Process> started, List<String> command, Path out, Path err,
                                 Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        started.add(p);
        return p;
    }

    /** Waits for {@code done}, checking every 200 ms; false at the deadline or when the demo stops. */
    private static boolean await(BooleanSupplier done, long deadline, CountDownLatch stop) throws InterruptedException {
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline || stop.await(200, TimeUnit.MILLISECONDS)) {
                return false;
            }
        }
        return true;
    }

    private static boolean contains(Path file, String text) {
        try {
            return Files.exists(file) && Files.readString(file).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    private static void stop(Process p) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
