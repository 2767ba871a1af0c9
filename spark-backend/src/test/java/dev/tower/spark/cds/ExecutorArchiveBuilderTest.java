package dev.tower.spark.cds;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The archive-making steps after training, on a small Spark home (one real jar) and a short class list, with the JVM
 * that runs this test: it must accept what is made, and start quietly without an archive it cannot use.
 */
@Timeout(120)
class ExecutorArchiveBuilderTest {
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    @TempDir
    Path dir;
    private ExecutorClassData data;

    @BeforeEach
    void smallSparkHome() throws IOException, URISyntaxException {
        Path home = dir.resolve("spark");
        Path jars = Files.createDirectories(home.resolve("jars"));
        Path slf4j = Path.of(org.slf4j.LoggerFactory.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Files.copy(slf4j, jars.resolve("slf4j-api.jar"));
        try (OutputStream out = Files.newOutputStream(jars.resolve(ExecutorClassData.PLUGIN_JAR));
             JarOutputStream jar = new JarOutputStream(out, new Manifest())) {
            jar.flush();
        }
        Files.createDirectories(home.resolve("conf"));
        data = new ExecutorClassData(home);
    }

    private int make() throws IOException, InterruptedException {
        Path classList = dir.resolve("classes.lst");
        Files.write(classList, List.of("# a class list as -XX:DumpLoadedClassList writes it", "java/lang/Object",
                "java/lang/String", "org/slf4j/LoggerFactory", "org/slf4j/helpers/NOPLoggerFactory",
                "dev/tower/spark/cds/ExecutorTraining"));
        Path work = Files.createDirectories(dir.resolve("work"));
        return ExecutorArchiveBuilder.make(data, classList, work);
    }

    /** Runs java with the archive's argument file and more arguments; returns its exit status and output. */
    private Run java(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(JAVA, "@" + data.argFile()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    private record Run(int status, String output) {
    }

    @Test
    void makesAnArchiveOfTheListedClassesThatTheJvmUsesWithTheExecutorsClassPath() throws Exception {
        assertThat(make()).as("classes listed, Tower's left out").isEqualTo(4);
        assertThat(data.check().usable()).isTrue();
        assertThat(Files.list(data.directory())).extracting(p -> p.getFileName().toString())
                .containsExactlyInAnyOrder("executor.jsa", "executor.args");

        // -Xshare:on: the JVM refuses to start rather than go without the archive.
        Run run = java("-Xshare:on", "-XX:+PrintSharedArchiveAndExit");
        assertThat(run.status()).as(run.output()).isZero();
        assertThat(run.output()).contains("org.slf4j.LoggerFactory app_loader")
                .doesNotContain("dev.tower.spark.cds.ExecutorTraining");

        // Made again, it replaces the old archive.
        assertThat(make()).isEqualTo(4);
        assertThat(java("-Xshare:on", "-version").status()).isZero();
    }

    @Test
    void aJvmGivenADamagedArchiveStartsWithoutItAndSaysNothing() throws Exception {
        make();
        Files.delete(data.archive()); // the JVM makes it read-only
        Files.write(data.archive(), "not an archive".repeat(1000).getBytes(StandardCharsets.UTF_8));
        assertStartsQuietlyWithoutTheArchive();
    }

    @Test
    void aJvmGivenAnArchiveForOtherJarsStartsWithoutItAndSaysNothing() throws Exception {
        make();
        Path jar = data.home().resolve("jars/slf4j-api.jar");
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 60_000));
        assertThat(data.check().usable()).as("the driver would not use it").isFalse();
        assertStartsQuietlyWithoutTheArchive();
    }

    private void assertStartsQuietlyWithoutTheArchive() throws Exception {
        Run strict = java("-Xshare:on", "-version");
        assertThat(strict.status()).as("with -Xshare:on the JVM refuses it: " + strict.output()).isNotZero();
        Run run = java("-version");
        assertThat(run.status()).as(run.output()).isZero();
        assertThat(run.output()).doesNotContainIgnoringCase("shar").doesNotContain("cds").doesNotContain("warning");
    }
}
