package dev.tower.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SparkSubmitCommandTest {

    private static SparkSubmitCommand parse(String... args) {
        ParseResult result = TowerCli.commandLine().parseArgs(args);
        return (SparkSubmitCommand) result.subcommand().commandSpec().userObject();
    }

    @Test
    void passesEveryArgumentThroughUnchanged() {
        SparkSubmitCommand c = parse("spark-submit", "--master", "spark+tower://h:5050", "--conf", "spark.x=@y",
                "--class", "a.B", "--verbose", "app.jar", "--help", "-h", "--", "@file", "--version");
        assertThat(c.args).containsExactly("--master", "spark+tower://h:5050", "--conf", "spark.x=@y", "--class", "a.B",
                "--verbose", "app.jar", "--help", "-h", "--", "@file", "--version");
    }

    @Test
    void firstArgumentMayBeTheJar() {
        assertThat(parse("spark-submit", "app.jar", "1").args).containsExactly("app.jar", "1");
    }

    @Test
    void doubleDashHandsSparkSubmitItsOwnHelp() {
        assertThat(parse("spark-submit", "--", "--help").args).containsExactly("--help");
    }

    @Test
    void helpIsTowers() {
        ParseResult r = TowerCli.commandLine().parseArgs("spark-submit", "--help");
        assertThat(r.subcommand().isUsageHelpRequested()).isTrue();
        String usage = TowerCli.commandLine().getSubcommands().get("spark-submit").getUsageMessage();
        assertThat(usage).contains("spark+tower://").contains("TOWER_SPARK_HOME");
    }

    @Test
    void addsTowerMasterWhenNoneIsGiven() {
        List<String> args = List.of("--class", "a.B", "app.jar", "--master", "not-for-spark");
        assertThat(SparkSubmitCommand.withDefaultMaster(args, "spark+tower://m:5050"))
                .containsExactly("--master", "spark+tower://m:5050", "--class", "a.B", "app.jar", "--master", "not-for-spark");
    }

    @Test
    void keepsTheMasterGiven() {
        for (List<String> args : List.of(
                List.of("--master", "local[2]", "app.jar"),
                List.of("--verbose", "--master=local[2]", "app.jar"),
                List.of("--conf", "spark.master=local[2]", "app.jar"),
                List.of("--name=x", "-c", "spark.master=local", "app.jar"))) {
            assertThat(SparkSubmitCommand.withDefaultMaster(args, "spark+tower://m:5050")).isEqualTo(args);
        }
    }
}
