package dev.tower.spark;

import dev.tower.api.model.CommandInfo;
import dev.tower.spark.cds.ExecutorClassData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExecutorCommandTest {
    private static final String BACKEND_ARGS = "org.apache.spark.executor.CoarseGrainedExecutorBackend"
            + " --driver-url spark://CoarseGrainedScheduler@10.0.0.1:7078 --executor-id 3 --hostname h7"
            + " --cores 2 --app-id fw-1 --resourceProfileId 0";
    private static final TowerExecutor EXECUTOR = new TowerExecutor("3", "fw-1-executor-3", "a-7", "h7", 2, false);

    @TempDir
    Path dir;

    private static TowerSparkConf conf(String... keyValues) {
        Map<String, String> m = new HashMap<>();
        m.put("spark.executor.memory", "2g");
        m.put("spark.executor.extraJavaOptions", "--add-opens=java.base/java.lang=ALL-UNNAMED -Dx='a b'");
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return TowerSparkConf.from(m);
    }

    private static ExecutorLaunchContext context(Optional<String> driverHome) {
        return new ExecutorLaunchContext("spark://CoarseGrainedScheduler@10.0.0.1:7078", "alice", driverHome, "2.13",
                Map.of("SPARK_EXECUTOR_MEMORY", "2048m", "FOO", "bar"), List.of("-Dspark.driver.port=7078"),
                Optional.empty());
    }

    @Test
    void byDefaultRunsJavaOnTheJarsOfTheDriversSparkHome() {
        ExecutorCommand command = new ExecutorCommand(conf(), context(Optional.of("/opt/tower/spark")));
        assertThat(command.mode()).isEqualTo(ExecutorCommand.Mode.DRIVER_HOME);
        CommandInfo c = command.build(EXECUTOR, "fw-1");
        assertThat(c.isShell()).isTrue();
        assertThat(c.value()).isEqualTo("export SPARK_LOCAL_DIRS=\"${SPARK_LOCAL_DIRS:-$TOWER_SANDBOX}\"; "
                + "exec \"${JAVA_HOME:+$JAVA_HOME/bin/}java\" -cp '/opt/tower/spark/conf:/opt/tower/spark/jars/*'"
                + " --add-opens=java.base/java.lang=ALL-UNNAMED '-Dx=a b' -Dspark.driver.port=7078 -Xmx2048m "
                + BACKEND_ARGS);
        assertThat(c.uris()).isEmpty();
        assertThat(c.environment()).containsEntry("SPARK_HOME", "/opt/tower/spark")
                .containsEntry("SPARK_SCALA_VERSION", "2.13")
                .containsEntry("SPARK_USER", "alice")
                .containsEntry("SPARK_EXECUTOR_MEMORY", "2048m")
                .containsEntry("FOO", "bar")
                .doesNotContainKey("SPARK_EXECUTOR_OPTS");
    }

    @Test
    void extraClassPathAndLibraryPath() {
        CommandInfo c = new ExecutorCommand(conf("spark.executor.extraClassPath", "/app/lib/*",
                "spark.executor.extraLibraryPath", "/opt/native"), context(Optional.of("/opt/spark")))
                .build(EXECUTOR, "fw-1");
        assertThat(c.value()).contains("export LD_LIBRARY_PATH=/opt/native\"${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\"; ")
                .contains("-cp '/app/lib/*:/opt/spark/conf:/opt/spark/jars/*'");
    }

    @Test
    void withAnExecutorHomeRunsItsSparkClass() {
        ExecutorCommand command = new ExecutorCommand(conf("spark.tower.executor.home", "/opt/spark 4"),
                context(Optional.of("/driver/spark")));
        assertThat(command.mode()).isEqualTo(ExecutorCommand.Mode.HOME);
        CommandInfo c = command.build(EXECUTOR, "fw-1");
        assertThat(c.value()).isEqualTo("export SPARK_LOCAL_DIRS=\"${SPARK_LOCAL_DIRS:-$TOWER_SANDBOX}\"; "
                + "exec '/opt/spark 4/bin/spark-class' " + BACKEND_ARGS);
        assertThat(c.environment()).containsEntry("SPARK_HOME", "/opt/spark 4")
                .containsEntry("SPARK_EXECUTOR_OPTS",
                        "--add-opens=java.base/java.lang=ALL-UNNAMED '-Dx=a b' -Dspark.driver.port=7078")
                .containsEntry("SPARK_EXECUTOR_MEMORY", "2048m");
    }

    @Test
    void withAnExecutorUriFetchesAndExtractsTheDistributionThenRunsFromIt() {
        ExecutorCommand command = new ExecutorCommand(conf(
                "spark.executor.uri", "https://dl.example/spark-4.2.0-bin-hadoop3.tgz",
                "spark.tower.executor.home", "/ignored", "spark.executor.extraClassPath", "/app/x.jar"),
                context(Optional.empty()));
        assertThat(command.mode()).isEqualTo(ExecutorCommand.Mode.URI);
        CommandInfo c = command.build(EXECUTOR, "fw-1");
        assertThat(c.value()).isEqualTo("export SPARK_LOCAL_DIRS=\"${SPARK_LOCAL_DIRS:-$TOWER_SANDBOX}\"; "
                + "cd spark-4.2.0-bin-hadoop3*/ && exec ./bin/spark-class " + BACKEND_ARGS);
        assertThat(c.uris()).containsExactly(
                new CommandInfo.FetchUri("https://dl.example/spark-4.2.0-bin-hadoop3.tgz", true, false, null));
        assertThat(c.environment()).doesNotContainKey("SPARK_HOME")
                .containsEntry("SPARK_EXECUTOR_CLASSPATH", "/app/x.jar")
                .containsKey("SPARK_EXECUTOR_OPTS");
    }

    @Test
    void theAuthenticationSecretTravelsInTheEnvironmentNotOnTheCommandLine() {
        ExecutorLaunchContext ctx = new ExecutorLaunchContext("spark://CoarseGrainedScheduler@h:1", "u",
                Optional.of("/s"), "2.13", Map.of(), List.of("-Dspark.authenticate=true"), Optional.of("s3cr3t"));
        CommandInfo c = new ExecutorCommand(conf(), ctx).build(EXECUTOR, "fw-1");
        assertThat(c.environment()).containsEntry("_SPARK_AUTH_SECRET", "s3cr3t");
        assertThat(c.value()).doesNotContain("s3cr3t");
    }

    @Test
    void theApplicationsExecutorEnvironmentWins() {
        ExecutorLaunchContext ctx = new ExecutorLaunchContext("spark://CoarseGrainedScheduler@h:1", "u",
                Optional.of("/s"), "2.13", Map.of("SPARK_HOME", "/elsewhere"), List.of(), Optional.empty());
        assertThat(new ExecutorCommand(conf(), ctx).build(EXECUTOR, "fw-1").environment())
                .containsEntry("SPARK_HOME", "/elsewhere");
    }

    @Test
    void withoutAnySparkForExecutorsItFailsAtStartUp() {
        assertThatThrownBy(() -> new ExecutorCommand(conf(), context(Optional.empty())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("spark.tower.executor.home")
                .hasMessageContaining("spark.executor.uri")
                .hasMessageContaining("SPARK_HOME");
    }

    /** A Spark home at a path that needs quoting, with jars, and with a class data sharing archive when asked. */
    private Path sparkHome(boolean withArchive) throws IOException {
        Path home = dir.resolve("spark home");
        Files.createDirectories(home.resolve("jars"));
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("jars/spark-core_2.13-4.2.0.jar"), "core");
        if (withArchive) {
            ExecutorClassData data = new ExecutorClassData(home);
            Files.createDirectories(data.directory());
            Files.writeString(data.archive(), "archive");
            Files.writeString(data.argFile(), data.argFileContent(data.archivedJars()));
        }
        return home;
    }

    @Test
    void withTheHomesClassDataSharingArchiveExecutorsStartFromItWhenTheAgentHasItToo() throws IOException {
        Path home = sparkHome(true);
        ExecutorCommand command = new ExecutorCommand(conf(), context(Optional.of(home.toString())));
        assertThat(command.classData()).map(ExecutorClassData::home).hasValue(home);
        assertThat(command.noClassData()).isEmpty();
        String q = "'" + home;
        assertThat(command.build(EXECUTOR, "fw-1").value()).isEqualTo(
                "export SPARK_LOCAL_DIRS=\"${SPARK_LOCAL_DIRS:-$TOWER_SANDBOX}\"; "
                + "set -- -cp " + q + "/conf:" + home + "/jars/*'; "
                + "if [ -r " + q + "/cds/executor.jsa' ] && [ -r " + q + "/cds/executor.args' ] && read -r h < "
                + q + "/cds/executor.args' && [ \"$h\" = '# Tower executor class data sharing for the Spark home "
                + home + "' ]; then set -- '@" + home + "/cds/executor.args'; fi; "
                + "exec \"${JAVA_HOME:+$JAVA_HOME/bin/}java\" \"$@\""
                + " --add-opens=java.base/java.lang=ALL-UNNAMED '-Dx=a b' -Dspark.driver.port=7078 -Xmx2048m "
                + BACKEND_ARGS);
    }

    @Test
    void theAgentStartsTheExecutorWithTheArgumentFileOnlyWhenItsArchiveIsThereAndMadeInThisHome() throws Exception {
        Path home = sparkHome(true);
        ExecutorClassData data = new ExecutorClassData(home);
        CommandInfo c = new ExecutorCommand(conf(), context(Optional.of(home.toString()))).build(EXECUTOR, "fw-1");
        String plainClassPath = home + "/conf:" + home + "/jars/*";

        assertThat(javaArguments(c)).first().isEqualTo("@" + data.argFile());

        Files.delete(data.archive());
        assertThat(javaArguments(c)).startsWith("-cp", plainClassPath, "--add-opens=java.base/java.lang=ALL-UNNAMED");

        Files.writeString(data.archive(), "archive");
        Files.writeString(data.argFile(), Files.readString(data.argFile()).replace(home.toString(), "/elsewhere"));
        assertThat(javaArguments(c)).startsWith("-cp", plainClassPath);

        Files.delete(data.argFile());
        assertThat(javaArguments(c)).containsExactly("-cp", plainClassPath,
                "--add-opens=java.base/java.lang=ALL-UNNAMED", "-Dx=a b", "-Dspark.driver.port=7078", "-Xmx2048m",
                "org.apache.spark.executor.CoarseGrainedExecutorBackend",
                "--driver-url", "spark://CoarseGrainedScheduler@10.0.0.1:7078", "--executor-id", "3",
                "--hostname", "h7", "--cores", "2", "--app-id", "fw-1", "--resourceProfileId", "0");
    }

    /** The arguments the executor command gives java, run by sh as the agent would, with a java that prints them. */
    private List<String> javaArguments(CommandInfo command) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("jdk/bin"));
        Path java = bin.resolve("java");
        if (!Files.exists(java)) {
            Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
            assertThat(java.toFile().setExecutable(true)).isTrue();
        }
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command.value()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
        pb.environment().put("TOWER_SANDBOX", dir.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.lines().toList();
    }

    @Test
    void executorsStartWithoutClassDataSharingWhenTheHomeHasNoArchiveWhenOffAndWithAnExtraClassPath()
            throws IOException {
        String plain = "exec \"${JAVA_HOME:+$JAVA_HOME/bin/}java\" -cp ";

        ExecutorCommand none = new ExecutorCommand(conf(), context(Optional.of(sparkHome(false).toString())));
        assertThat(none.classData()).isEmpty();
        assertThat(none.noClassData()).hasValueSatisfying(r -> assertThat(r).startsWith("the Spark home has no archive"));
        assertThat(none.build(EXECUTOR, "fw-1").value()).contains(plain).doesNotContain("set --");

        String home = sparkHome(true).toString();
        ExecutorCommand off = new ExecutorCommand(conf("spark.tower.executor.classDataSharing", "false"),
                context(Optional.of(home)));
        assertThat(off.classData()).isEmpty();
        assertThat(off.noClassData()).isEmpty();
        assertThat(off.build(EXECUTOR, "fw-1").value()).contains(plain).doesNotContain("cds");

        ExecutorCommand extra = new ExecutorCommand(conf("spark.executor.extraClassPath", "/app/lib/*"),
                context(Optional.of(home)));
        assertThat(extra.classData()).isEmpty();
        assertThat(extra.noClassData()).hasValue("spark.executor.extraClassPath is set");
        assertThat(extra.build(EXECUTOR, "fw-1").value()).contains(plain + "'/app/lib/*:").doesNotContain("cds");

        ExecutorCommand fromHome = new ExecutorCommand(conf("spark.tower.executor.home", home),
                context(Optional.of(home)));
        assertThat(fromHome.classData()).isEmpty();
        assertThat(fromHome.noClassData()).isEmpty();
    }

    @Test
    void shellQuotingAndJavaOptionSplitting() {
        assertThat(Shell.quote("-Xmx1g")).isEqualTo("-Xmx1g");
        assertThat(Shell.quote("it's")).isEqualTo("'it'\\''s'");
        assertThat(Shell.quote("$HOME")).isEqualTo("'$HOME'");
        assertThat(JavaOptions.split("  -Da=1 \"-Db=two words\" -Dc='x y' -Dd=\\ e "))
                .containsExactly("-Da=1", "-Db=two words", "-Dc=x y", "-Dd= e");
        assertThat(JavaOptions.split("")).isEmpty();
    }
}
