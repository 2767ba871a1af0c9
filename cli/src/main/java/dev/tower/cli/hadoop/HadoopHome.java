package dev.tower.cli.hadoop;

import dev.tower.cli.TowerCli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Hadoop home {@code tower yarn} runs the bridge from: {@code $TOWER_HADOOP_HOME} if set, else the one the build
 * leaves beside the CLI ({@code <repo>/cli/target/tower-cli.jar} → {@code <repo>/hadoop-bridge/target/hadoop-home},
 * or a {@code hadoop-home/} directory next to the CLI jar). Hadoop's jars stay there, never on the CLI's classpath.
 */
public final class HadoopHome {
    public static final String ENV = "TOWER_HADOOP_HOME";
    public static final String BRIDGE_JAR = "tower-hadoop-bridge.jar";
    public static final String BUILD_HINT = "build it with mvn -B -DskipTests -pl hadoop-bridge -am package";

    private final Path dir;

    private HadoopHome(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /**
     * The classpath of the bridge's JVM: the home's conf/ (logging), bridge/ (the bridge with Tower's Jackson, ahead of
     * Hadoop's) and lib/ (Hadoop).
     */
    public String classpath() {
        String sep = java.io.File.pathSeparator;
        return dir.resolve("conf") + sep + dir.resolve("bridge") + "/*" + sep + dir.resolve("lib") + "/*";
    }

    boolean valid() {
        return Files.isRegularFile(dir.resolve("bridge").resolve(BRIDGE_JAR));
    }

    public static HadoopHome locate() {
        return locate(System.getenv(), codeLocation());
    }

    static HadoopHome locate(Map<String, String> env, Path codeLocation) {
        String configured = env.get(ENV);
        if (configured != null && !configured.isBlank()) {
            HadoopHome home = new HadoopHome(Path.of(configured).toAbsolutePath().normalize());
            if (!home.valid()) {
                throw new IllegalStateException(ENV + "=" + configured + " has no bridge/" + BRIDGE_JAR
                        + ": point it at the hadoop-home the hadoop-bridge module builds");
            }
            return home;
        }
        List<Path> candidates = candidates(codeLocation);
        for (Path c : candidates) {
            HadoopHome home = new HadoopHome(c);
            if (home.valid()) {
                return home;
            }
        }
        String where = candidates.isEmpty() ? "beside the tower CLI" : candidates.get(candidates.size() - 1).toString();
        throw new IllegalStateException("the Hadoop bridge is not built: no Hadoop home at " + where + "; "
                + BUILD_HINT + ", or set " + ENV);
    }

    static List<Path> candidates(Path codeLocation) {
        List<Path> out = new ArrayList<>();
        if (codeLocation == null) {
            return out;
        }
        Path dir = codeLocation.toAbsolutePath().normalize().getParent(); // <repo>/cli/target
        if (dir == null) {
            return out;
        }
        out.add(dir.resolve("hadoop-home"));
        Path module = dir.getParent();
        Path repo = module == null ? null : module.getParent();
        if (repo != null) {
            out.add(repo.resolve("hadoop-bridge").resolve("target").resolve("hadoop-home"));
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
