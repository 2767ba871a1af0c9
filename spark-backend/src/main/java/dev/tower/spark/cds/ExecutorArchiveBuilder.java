package dev.tower.spark.cds;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes the class data sharing archive of a Spark home ({@link ExecutorClassData}): a training executor runs a few
 * jobs ({@link ExecutorTraining}) and lists the classes it loads, {@code java -Xshare:dump} archives them, and a JVM
 * started with {@code -Xshare:on} on the executors' class path must accept the result before it replaces the old
 * archive. About half a minute; nothing to do (a second) when the archive is up to date for this JVM and the jars.
 *
 * <pre>
 *   HOME/bin/spark-class dev.tower.spark.cds.ExecutorArchiveBuilder HOME [--force]
 * </pre>
 *
 * The Maven build runs it once the Spark home is assembled; run it by hand after the JDK executors use changed. The
 * archive is for the JVM that runs this, which {@code spark-class} finds the way executors find theirs
 * ({@code $JAVA_HOME/bin/java}, else {@code java} on the {@code PATH}). Exits with 1 when it could not make the
 * archive: executors then start without one.
 */
public final class ExecutorArchiveBuilder {
    private static final long STEP_TIMEOUT_MINUTES = 5;

    private ExecutorArchiveBuilder() {
    }

    public static void main(String[] args) {
        if (args.length < 1 || args.length > 2 || (args.length == 2 && !args[1].equals("--force"))) {
            System.err.println("usage: ExecutorArchiveBuilder SPARK_HOME [--force]");
            System.exit(2);
        }
        int status;
        try {
            status = build(new ExecutorClassData(Path.of(args[0])), args.length == 2, System.out);
        } catch (Exception e) {
            System.err.println("tower: could not make the executor class data sharing archive (executors start "
                    + "without it): " + e.getMessage());
            status = 1;
        }
        // Spark leaves non-daemon threads behind.
        System.exit(status);
    }

    static int build(ExecutorClassData data, boolean force, PrintStream out) throws IOException, InterruptedException {
        ExecutorClassData.Check check = data.check();
        if (check.usable() && !force) {
            out.println("tower: executor class data sharing archive is up to date: " + data.archive());
            return 0;
        }
        if (!ExecutorClassData.fitsArgFile(data.home().toString())) {
            throw new IOException(check.reason());
        }
        if (data.archivedJars().isEmpty()) {
            throw new IOException("no jars in " + data.home().resolve("jars"));
        }
        // The training executor runs from the Spark home of this JVM (spark-class sets SPARK_HOME).
        String sparkHome = System.getenv("SPARK_HOME");
        if (sparkHome == null || !new ExecutorClassData(Path.of(sparkHome)).home().equals(data.home())) {
            throw new IOException("run this with the Spark home's own launcher: " + data.home().resolve("bin/spark-class")
                    + " " + ExecutorArchiveBuilder.class.getName() + " " + data.home());
        }
        long start = System.nanoTime();
        Path work = Files.createTempDirectory("tower-cds");
        try {
            Path classList = new ExecutorTraining(data.home(), work).run();
            long trained = System.nanoTime();
            int classes = make(data, classList, work);
            out.printf("tower: executor class data sharing archive made in %d s (training %d s): %d classes, %d MB, "
                            + "%s%n", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start),
                    TimeUnit.NANOSECONDS.toSeconds(trained - start), classes, Files.size(data.archive()) >> 20,
                    data.archive());
            return 0;
        } finally {
            ExecutorTraining.deleteTree(work);
        }
    }

    /**
     * Archives the classes of a class list ({@code -XX:DumpLoadedClassList} format) found in the home's archived
     * jars, checks this JVM accepts the archive with the executors' class path, and installs it with its argument
     * file. Returns the number of classes listed.
     */
    public static int make(ExecutorClassData data, Path classList, Path work) throws IOException, InterruptedException {
        List<Path> jars = data.archivedJars();
        if (jars.isEmpty()) {
            throw new IOException("no jars in " + data.home().resolve("jars"));
        }
        // Tower's classes are not archived (ExecutorClassData.PLUGIN_JAR); the training's own closures are Tower's.
        List<String> lines = new ArrayList<>();
        int classes = 0;
        for (String line : Files.readAllLines(classList, StandardCharsets.ISO_8859_1)) {
            if (!line.contains("dev/tower/")) {
                lines.add(line);
                if (!line.isEmpty() && !line.startsWith("#") && !line.startsWith("@")) {
                    classes++;
                }
            }
        }
        Path list = work.resolve("archived-classes.lst");
        Files.write(list, lines, StandardCharsets.ISO_8859_1);

        Files.createDirectories(data.directory());
        long pid = ProcessHandle.current().pid();
        Path fresh = data.directory().resolve(ExecutorClassData.ARCHIVE + "." + pid + ".new");
        Path freshArgs = data.directory().resolve(ExecutorClassData.ARG_FILE + "." + pid + ".new");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try {
            run(work.resolve("dump.log"), java, "-Xshare:dump", "-XX:SharedClassListFile=" + list,
                    "-XX:SharedArchiveFile=" + fresh, "-cp", joined(jars));
            run(work.resolve("check.log"), java, "-XX:SharedArchiveFile=" + fresh, "-Xshare:on",
                    "-cp", data.classPath(jars), "-XX:+PrintSharedArchiveAndExit");
            Files.writeString(freshArgs, data.argFileContent(jars), StandardCharsets.UTF_8);
            // Executors that start meanwhile either find no argument file or find the old one with either archive:
            // the JVM refuses a mismatch and starts without, so no executor fails.
            Files.deleteIfExists(data.argFile());
            Files.move(fresh, data.archive(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(freshArgs, data.argFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(fresh);
            Files.deleteIfExists(freshArgs);
        }
        return classes;
    }

    private static String joined(List<Path> jars) {
        List<String> paths = new ArrayList<>();
        for (Path jar : jars) {
            paths.add(jar.toString());
        }
        return String.join(":", paths);
    }

    private static void run(Path log, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(STEP_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
            throw new IOException(command[1] + " took more than " + STEP_TIMEOUT_MINUTES + " minutes");
        }
        if (p.exitValue() != 0) {
            List<String> out = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
            List<String> tail = out.subList(Math.max(0, out.size() - 5), out.size());
            throw new IOException("java " + command[1] + " failed (exit status " + p.exitValue() + "): "
                    + String.join(" / ", tail));
        }
    }
}
