package dev.tower.cli.spark;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SparkHomeTest {
    @TempDir
    Path repo;

    private Path sparkHome(Path dir) throws Exception {
        Files.createDirectories(dir.resolve("bin"));
        Files.writeString(dir.resolve("bin/spark-submit"), "#!/bin/sh\n");
        return dir;
    }

    @Test
    void findsTheBuildsSparkHomeFromTheCliJar() throws Exception {
        Path home = sparkHome(repo.resolve("spark-backend/target/spark-home"));
        SparkHome found = SparkHome.locate(Map.of(), repo.resolve("cli/target/tower-cli.jar"));
        assertThat(found.dir()).isEqualTo(home);
        assertThat(found.examplesJar()).isEqualTo(home.resolve("examples/jars/tower-spark-examples.jar"));
        // from the classes directory too (tests, IDEs)
        assertThat(SparkHome.locate(Map.of(), repo.resolve("cli/target/classes")).dir()).isEqualTo(home);
    }

    @Test
    void environmentWins() throws Exception {
        sparkHome(repo.resolve("spark-backend/target/spark-home"));
        Path other = sparkHome(repo.resolve("elsewhere"));
        assertThat(SparkHome.locate(Map.of(SparkHome.ENV, other.toString()), repo.resolve("cli/target/tower-cli.jar"))
                .dir()).isEqualTo(other);
    }

    @Test
    void missingSaysHowToBuildIt() {
        assertThatThrownBy(() -> SparkHome.locate(Map.of(), repo.resolve("cli/target/tower-cli.jar")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Spark is not built")
                .hasMessageContaining("spark-backend/target/spark-home")
                .hasMessageContaining("-pl spark-backend -am package");
        assertThatThrownBy(() -> SparkHome.locate(Map.of(SparkHome.ENV, repo.resolve("nope").toString()), null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(SparkHome.ENV);
    }
}
