package dev.tower.spark.cds;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ExecutorClassDataTest {
    @TempDir
    Path dir;

    /** A Spark home with two jars and the plug-in; jars need not be real for what is tested here. */
    private Path home(String name) throws IOException {
        Path home = dir.resolve(name);
        Path jars = Files.createDirectories(home.resolve("jars"));
        Files.writeString(jars.resolve("spark-core_2.13-4.2.0.jar"), "core");
        Files.writeString(jars.resolve("RoaringBitmap-1.6.10.jar"), "bitmap");
        Files.writeString(jars.resolve("tower-spark.jar"), "plug-in");
        Files.writeString(jars.resolve("notes.txt"), "not a jar");
        Files.createDirectories(home.resolve("conf"));
        return home;
    }

    /** What the builder leaves: an archive and its argument file. */
    private static ExecutorClassData archived(Path home) throws IOException {
        ExecutorClassData data = new ExecutorClassData(home);
        Files.createDirectories(data.directory());
        Files.write(data.archive(), new byte[] {1, 2, 3});
        Files.writeString(data.argFile(), data.argFileContent(data.archivedJars()));
        return data;
    }

    @Test
    void theArchiveHoldsEveryJarButTheTowerPlugInInNameOrder() throws IOException {
        Path home = home("spark");
        ExecutorClassData data = new ExecutorClassData(home);
        assertThat(data.archivedJars()).containsExactly(home.resolve("jars/RoaringBitmap-1.6.10.jar"),
                home.resolve("jars/spark-core_2.13-4.2.0.jar"));
        assertThat(data.classPath(data.archivedJars())).isEqualTo(home + "/jars/RoaringBitmap-1.6.10.jar:"
                + home + "/jars/spark-core_2.13-4.2.0.jar:" + home + "/conf:" + home + "/jars/*");
    }

    @Test
    void theArgumentFileNamesHomeJvmAndJarsThenGivesTheArchiveAndItsClassPath() throws IOException {
        Path home = home("spark");
        ExecutorClassData data = archived(home);
        List<String> lines = Files.readAllLines(data.argFile(), StandardCharsets.UTF_8);
        assertThat(lines).hasSize(8);
        assertThat(lines.get(0)).isEqualTo(data.header())
                .isEqualTo("# Tower executor class data sharing for the Spark home " + home);
        assertThat(lines.get(1)).startsWith("# jvm: ").contains(System.getProperty("java.vm.version"));
        assertThat(lines.get(2)).matches("# jars: 2 jars, sha-256 [0-9a-f]{64}");
        assertThat(lines.subList(3, 8)).containsExactly(
                "-XX:SharedArchiveFile=\"" + home + "/cds/executor.jsa\"",
                "-Xshare:auto",
                "-Xlog:cds=off",
                "-cp",
                "\"" + data.classPath(data.archivedJars()) + "\"");
    }

    @Test
    void anArchiveMadeByThisJvmForTheJarsAsTheyAreIsUsable() throws IOException {
        ExecutorClassData data = archived(home("spark"));
        assertThat(data.check()).isEqualTo(new ExecutorClassData.Check(true, ""));
        // Tower's plug-in changes with every build; the archive does not depend on it.
        Files.writeString(data.home().resolve("jars/tower-spark.jar"), "rebuilt");
        assertThat(data.check().usable()).isTrue();
    }

    @Test
    void checkSaysWhyAnArchiveCannotBeUsed() throws IOException {
        ExecutorClassData none = new ExecutorClassData(home("bare"));
        assertThat(none.check().usable()).isFalse();
        assertThat(none.check().reason()).startsWith("the Spark home has no archive");

        ExecutorClassData data = archived(home("spark"));
        Path jar = data.home().resolve("jars/spark-core_2.13-4.2.0.jar");
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 60_000));
        assertThat(data.check().reason()).isEqualTo("the Spark home's jars changed since the archive was made");

        data = archived(home("spark2"));
        Files.writeString(data.home().resolve("jars/extra.jar"), "added");
        assertThat(data.check().reason()).isEqualTo("the Spark home's jars changed since the archive was made");

        data = archived(home("spark3"));
        List<String> lines = Files.readAllLines(data.argFile());
        lines.set(1, "# jvm: Example JVM 11.0.1");
        Files.write(data.argFile(), lines);
        assertThat(data.check().reason()).startsWith("the archive was made by another JVM (Example JVM 11.0.1; this one is ");

        // A home copied elsewhere with its archive: the argument file names the other home's jars.
        ExecutorClassData original = archived(home("original"));
        Path copy = home("copy");
        Files.createDirectories(copy.resolve("cds"));
        Files.copy(original.archive(), copy.resolve("cds/executor.jsa"));
        Files.copy(original.argFile(), copy.resolve("cds/executor.args"));
        assertThat(new ExecutorClassData(copy).check().reason())
                .isEqualTo("the archive was made for the Spark home " + original.home());

        data = archived(home("spark4"));
        Files.write(data.archive(), new byte[0]);
        assertThat(data.check().reason()).startsWith("the archive ").endsWith(" is empty");
    }

    @Test
    void aHomeReachedThroughASymbolicLinkIsTheHomeItLeadsTo() throws IOException {
        ExecutorClassData data = archived(home("spark-4.2"));
        Path link = Files.createSymbolicLink(dir.resolve("spark"), data.home());
        ExecutorClassData viaLink = new ExecutorClassData(link);
        assertThat(viaLink.home()).isEqualTo(data.home());
        assertThat(viaLink.check().usable()).isTrue();
    }

    @Test
    void aHomeWhosePathAJavaArgumentFileCannotCarryHasNoArchive() throws IOException {
        ExecutorClassData data = new ExecutorClassData(home("with\"quote"));
        assertThat(data.check().reason()).contains("has a character a java argument file cannot carry");
        assertThat(ExecutorClassData.fitsArgFile("/opt/spark 4.2/it's")).isTrue();
        assertThat(ExecutorClassData.fitsArgFile("C:\\spark")).isFalse();
    }
}
