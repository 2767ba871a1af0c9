package dev.tower.cli.hadoop;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HadoopHomeTest {
    @TempDir
    Path repo;

    private Path hadoopHome(Path dir) throws Exception {
        Files.createDirectories(dir.resolve("bridge"));
        Files.writeString(dir.resolve("bridge").resolve(HadoopHome.BRIDGE_JAR), "");
        return dir;
    }

    @Test
    void findsTheBuildsHadoopHomeFromTheCliJarAndRunsTheBridgeAheadOfHadoop() throws Exception {
        Path home = hadoopHome(repo.resolve("hadoop-bridge/target/hadoop-home"));
        HadoopHome found = HadoopHome.locate(Map.of(), repo.resolve("cli/target/tower-cli.jar"));
        assertThat(found.dir()).isEqualTo(home);
        assertThat(found.classpath()).isEqualTo(home.resolve("conf") + ":" + home.resolve("bridge") + "/*:"
                + home.resolve("lib") + "/*");
        assertThat(HadoopHome.locate(Map.of(), repo.resolve("cli/target/classes")).dir()).isEqualTo(home);
    }

    @Test
    void environmentWins() throws Exception {
        hadoopHome(repo.resolve("hadoop-bridge/target/hadoop-home"));
        Path other = hadoopHome(repo.resolve("elsewhere"));
        assertThat(HadoopHome.locate(Map.of(HadoopHome.ENV, other.toString()), repo.resolve("cli/target/tower-cli.jar"))
                .dir()).isEqualTo(other);
    }

    @Test
    void missingSaysHowToBuildIt() {
        assertThatThrownBy(() -> HadoopHome.locate(Map.of(), repo.resolve("cli/target/tower-cli.jar")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not built")
                .hasMessageContaining("hadoop-bridge/target/hadoop-home")
                .hasMessageContaining("-pl hadoop-bridge -am package");
        assertThatThrownBy(() -> HadoopHome.locate(Map.of(HadoopHome.ENV, repo.resolve("nope").toString()), null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(HadoopHome.ENV);
    }
}
