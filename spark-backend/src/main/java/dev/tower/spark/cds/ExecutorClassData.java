package dev.tower.spark.cds;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The class data sharing archive of a Spark home: what lets Tower's executors start about a second faster. An
 * executor JVM loads some 6,000 classes from the JDK and from Spark's 170-odd jars before it can register with its
 * driver; from a class data sharing archive (JDK 17's AppCDS) it maps them ready-parsed and verified instead.
 *
 * <p>The files, in {@code <home>/cds/}:
 * <ul>
 *   <li>{@value #ARCHIVE}: a static archive ({@code java -Xshare:dump}) of the classes a training executor loaded
 *       while running a few small jobs (see {@link ExecutorArchiveBuilder}). It holds classes from the JDK and from
 *       {@code jars/}, except {@value #PLUGIN_JAR}: executors never load Tower's classes, and that jar changes with
 *       every build of Tower, which would otherwise make the archive stale each time.</li>
 *   <li>{@value #ARG_FILE}: a java argument file ({@code java @file}) with the options that use the archive: the
 *       archive, {@code -Xlog:cds=off} (a JVM that cannot use it says nothing), and the class path it was made for —
 *       the archived jars by name in a fixed order (the JVM requires the archive's class path to start the run's
 *       class path exactly; {@code jars/*} expands in directory order, which differs between copies of a home),
 *       then {@code conf/} and {@code jars/*} for everything else. {@code conf/} comes after Spark's jars here (a
 *       directory with files cannot be archived); none of them carries a file that {@code conf/} holds. Its first
 *       line names the Spark home it was made in, the next two the JVM and the jars (names, sizes, modification
 *       times) it was made for.</li>
 * </ul>
 *
 * <p>A JVM given an archive it cannot use (another JVM build, a jar changed or moved, a damaged file) starts
 * without class data sharing, a little slower than usual and otherwise the same. {@link #check()} tells beforehand
 * whether the archive fits this JVM and the jars as they are now, so a stale archive is not used at all.
 */
public final class ExecutorClassData {
    public static final String DIRECTORY = "cds";
    public static final String ARCHIVE = "executor.jsa";
    public static final String ARG_FILE = "executor.args";
    /** Tower's plug-in jar, left out of the archive. */
    public static final String PLUGIN_JAR = "tower-spark.jar";

    private static final String HEADER = "# Tower executor class data sharing for the Spark home ";
    private static final String JVM_LINE = "# jvm: ";
    private static final String JARS_LINE = "# jars: ";

    private final Path home;

    /** The archive of the Spark home at this path; a path through symbolic links means the home they lead to. */
    public ExecutorClassData(Path home) {
        Path absolute = home.toAbsolutePath().normalize();
        try {
            absolute = absolute.toRealPath();
        } catch (IOException e) {
            // a home that is not there has no archive; check() says so
        }
        this.home = absolute;
    }

    public Path home() {
        return home;
    }

    public Path directory() {
        return home.resolve(DIRECTORY);
    }

    public Path archive() {
        return directory().resolve(ARCHIVE);
    }

    public Path argFile() {
        return directory().resolve(ARG_FILE);
    }

    /** The argument file's first line: a home copied or moved elsewhere must not use the class path it names. */
    public String header() {
        return HEADER + home;
    }

    /** The jars the archive holds classes of: every jar in {@code jars/} but Tower's plug-in, by name. */
    public List<Path> archivedJars() throws IOException {
        List<Path> jars = new ArrayList<>();
        Path dir = home.resolve("jars");
        if (!Files.isDirectory(dir)) {
            return jars;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.jar")) {
            for (Path jar : entries) {
                if (!jar.getFileName().toString().equals(PLUGIN_JAR) && Files.isRegularFile(jar)) {
                    jars.add(jar);
                }
            }
        }
        jars.sort(null);
        return jars;
    }

    /** The class path of executors started with the archive: the archived jars, then {@code conf/} and {@code jars/*}. */
    public String classPath(List<Path> jars) {
        List<String> entries = new ArrayList<>();
        for (Path jar : jars) {
            entries.add(jar.toString());
        }
        entries.add(home.resolve("conf").toString());
        entries.add(home.resolve("jars") + "/*");
        return String.join(":", entries);
    }

    /** The argument file for an archive of these jars made by this JVM. */
    public String argFileContent(List<Path> jars) throws IOException {
        return String.join("\n",
                header(),
                JVM_LINE + jvm(),
                JARS_LINE + fingerprint(jars),
                "-XX:SharedArchiveFile=" + quote(archive().toString()),
                "-Xshare:auto",
                "-Xlog:cds=off",
                "-cp",
                quote(classPath(jars)),
                "");
    }

    /** Whether this JVM can start executors from the archive with the jars as they are now, and if not why. */
    public Check check() {
        if (!fitsArgFile(home.toString())) {
            return Check.no("the Spark home's path " + home + " has a character a java argument file cannot carry");
        }
        if (!Files.isRegularFile(archive()) || !Files.isReadable(argFile())) {
            return Check.no("the Spark home has no archive (" + archive() + ")");
        }
        try {
            if (Files.size(archive()) == 0) {
                return Check.no("the archive " + archive() + " is empty");
            }
            List<String> lines = Files.readAllLines(argFile(), StandardCharsets.UTF_8);
            if (lines.size() < 3 || !lines.get(0).equals(header())) {
                String madeIn = lines.isEmpty() || !lines.get(0).startsWith(HEADER) ? "elsewhere"
                        : lines.get(0).substring(HEADER.length());
                return Check.no("the archive was made for the Spark home " + madeIn);
            }
            if (!lines.get(1).equals(JVM_LINE + jvm())) {
                return Check.no("the archive was made by another JVM (" + lines.get(1).replace(JVM_LINE, "")
                        + "; this one is " + jvm() + ")");
            }
            if (!lines.get(2).equals(JARS_LINE + fingerprint(archivedJars()))) {
                return Check.no("the Spark home's jars changed since the archive was made");
            }
            return new Check(true, "");
        } catch (IOException e) {
            return Check.no("could not read the archive's files: " + e.getMessage());
        }
    }

    /** The JVM build the archive is for: an archive works only with the JVM that made it. */
    static String jvm() {
        return System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.vm.version");
    }

    /** Names, sizes and modification times of the jars: the JVM refuses an archive when one of them differs. */
    static String fingerprint(List<Path> jars) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Path jar : jars) {
            sb.append(jar.getFileName()).append('\t').append(Files.size(jar)).append('\t')
                    .append(Files.getLastModifiedTime(jar).toMillis()).append('\n');
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            return jars.size() + " jars, sha-256 " + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Quoted for a java argument file: a path with none of {@code " \ newline} stays as it is between double quotes. */
    private static String quote(String word) {
        return "\"" + word + "\"";
    }

    static boolean fitsArgFile(String path) {
        return path.chars().noneMatch(c -> c == '"' || c == '\\' || c == '\n' || c == '\r');
    }

    /** Whether the archive can be used, and when not, why (for a log line). */
    public record Check(boolean usable, String reason) {
        static Check no(String reason) {
            return new Check(false, reason);
        }
    }
}
