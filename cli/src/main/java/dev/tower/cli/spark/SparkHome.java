package dev.tower.cli.spark;

import dev.tower.cli.TowerCli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Spark home {@code tower spark-submit} and {@code tower demo} use: {@code $TOWER_SPARK_HOME} if set, else the one
 * the build leaves beside the CLI ({@code <repo>/cli/target/tower-cli.jar} → {@code <repo>/spark-backend/target/spark-home},
 * or a {@code spark-home/} directory next to the CLI jar).
 */
public final class SparkHome {
    public static final String ENV = "TOWER_SPARK_HOME";
    public static final String BUILD_HINT =
            "build it with ./tower (it builds what is missing) or mvn -B -DskipTests -pl spark-backend -am package";

    private final Path dir;

    private SparkHome(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public Path sparkSubmit() {
        return dir.resolve("bin").resolve("spark-submit");
    }

    /** The example jobs' jar (Pi, WordCount) of a Spark home built by Tower. */
    public Path examplesJar() {
        return dir.resolve("examples").resolve("jars").resolve("tower-spark-examples.jar");
    }

    /** The Spark home if there is one (configured, or built beside the CLI); empty rather than an error. */
    public static java.util.Optional<SparkHome> find() {
        try {
            return java.util.Optional.of(locate());
        } catch (IllegalStateException e) {
            return java.util.Optional.empty();
        }
    }

    /** Finds the Spark home, or says where it looked and how to get one. */
    public static SparkHome locate() {
        return locate(System.getenv(), codeLocation());
    }

    static SparkHome locate(Map<String, String> env, Path codeLocation) {
        String configured = env.get(ENV);
        if (configured != null && !configured.isBlank()) {
            SparkHome home = new SparkHome(Path.of(configured).toAbsolutePath().normalize());
            if (!Files.isRegularFile(home.sparkSubmit())) {
                throw new IllegalStateException(ENV + "=" + configured + " has no bin/spark-submit: point it at a Spark "
                        + "home with tower-spark.jar in jars/ (or unset it to use the one Tower builds)");
            }
            return home;
        }
        List<Path> candidates = candidates(codeLocation);
        for (Path c : candidates) {
            SparkHome home = new SparkHome(c);
            if (Files.isRegularFile(home.sparkSubmit())) {
                return home;
            }
        }
        String where = candidates.isEmpty() ? "beside the tower CLI" : candidates.get(candidates.size() - 1).toString();
        throw new IllegalStateException("Spark is not built: no Spark home at " + where + "; " + BUILD_HINT
                + ", or set " + ENV + " to a Spark 4.x home that has tower-spark.jar in jars/");
    }

    /** Where a build puts the Spark home relative to the CLI's jar (or classes directory). */
    static List<Path> candidates(Path codeLocation) {
        List<Path> out = new ArrayList<>();
        if (codeLocation == null) {
            return out;
        }
        Path dir = codeLocation.toAbsolutePath().normalize().getParent(); // <repo>/cli/target
        if (dir == null) {
            return out;
        }
        out.add(dir.resolve("spark-home"));
        Path module = dir.getParent();                                     // <repo>/cli
        Path repo = module == null ? null : module.getParent();            // <repo>
        if (repo != null) {
            out.add(repo.resolve("spark-backend").resolve("target").resolve("spark-home"));
        }
        return out;
    }

    private static Path codeLocation() {
        try {
            var source = TowerCli.class.getProtectionDomain().getCodeSource();
            return source == null ? null : Path.of(source.getLocation().toURI());
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }
}
