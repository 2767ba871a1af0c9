package dev.tower.spark;

import dev.tower.api.model.CommandInfo;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExecutorCommandTest {
    private static final String BACKEND_ARGS = "org.apache.spark.executor.CoarseGrainedExecutorBackend"
            + " --driver-url spark://CoarseGrainedScheduler@10.0.0.1:7078 --executor-id 3 --hostname h7"
            + " --cores 2 --app-id fw-1 --resourceProfileId 0";
    private static final TowerExecutor EXECUTOR = new TowerExecutor("3", "fw-1-executor-3", "a-7", "h7", 2, false);

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
