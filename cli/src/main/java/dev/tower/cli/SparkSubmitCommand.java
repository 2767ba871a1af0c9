package dev.tower.cli;

import dev.tower.cli.spark.SparkHome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code tower spark-submit …}: Spark's spark-submit from the Spark home Tower builds, aimed at Tower by default.
 * Every argument goes through unchanged (picocli stops parsing at the first one it does not know, see
 * {@link TowerCli#commandLine()}).
 */
@Command(name = "spark-submit",
        customSynopsis = "tower spark-submit [-h] [SPARK-SUBMIT OPTIONS] APP_JAR [APP ARGS...]",
        description = {"Run a Spark application on Tower with Spark's own spark-submit.",
                "Every argument goes to spark-submit unchanged; stdin, stdout and stderr are",
                "the job's, and the exit code is spark-submit's. Without --master, adds",
                "--master spark+tower://$TOWER_MASTER (default spark+tower://127.0.0.1:5050).",
                "",
                "Spark home: $TOWER_SPARK_HOME, else spark-backend/target/spark-home of this",
                "build (Spark's jars from Maven Central plus tower-spark.jar; ./tower builds it).",
                "",
                "Examples:",
                "  tower spark-submit --class dev.tower.spark.examples.Pi \\",
                "      spark-backend/target/tower-spark-examples.jar 10",
                "  tower spark-submit --master spark+tower://zk://h1:2181,h2:2181/tower \\",
                "      --executor-memory 2g --total-executor-cores 8 --class my.Job job.jar",
                "  tower spark-submit -- --help      # spark-submit's own options",
                ""},
        footer = {"", "Spark settings for Tower (spark.tower.role, spark.tower.constraints, ...):",
                "see README.md, \"Spark on Tower\"."})
public final class SparkSubmitCommand implements Callable<Integer> {
    /** spark-submit's options that take no value; every other option does (unless written --name=value). */
    private static final Set<String> SWITCHES = Set.of("--verbose", "-v", "--supervise", "--help", "-h", "--version",
            "--usage-error");

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    boolean help;

    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        SparkHome home = SparkHome.locate();
        List<String> command = new ArrayList<>();
        command.add(home.sparkSubmit().toString());
        command.addAll(withDefaultMaster(args, "spark+tower://" + new MasterOption().url()));
        Process p = new ProcessBuilder(command).inheritIO().start();
        Thread stopChild = new Thread(() -> {
            // Ctrl-C reaches spark-submit too (same process group); this covers tower itself being terminated.
            if (p.isAlive()) {
                p.destroy();
            }
        }, "tower-spark-submit-stop");
        Runtime.getRuntime().addShutdownHook(stopChild);
        try {
            return p.waitFor();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopChild);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to
            }
        }
    }

    /** {@code args}, with {@code --master DEFAULT} in front when they name no master. */
    static List<String> withDefaultMaster(List<String> args, String defaultMaster) {
        if (namesMaster(args)) {
            return args;
        }
        List<String> out = new ArrayList<>(args.size() + 2);
        out.add("--master");
        out.add(defaultMaster);
        out.addAll(args);
        return out;
    }

    /**
     * Whether spark-submit's options (those before the application jar; later ones are the application's) set the
     * master: {@code --master URL}, {@code --master=URL} or {@code --conf spark.master=URL}.
     */
    static boolean namesMaster(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--master") || a.startsWith("--master=") || a.startsWith("--conf=spark.master=")) {
                return true;
            }
            if (SWITCHES.contains(a) || (a.startsWith("-") && a.contains("="))) {
                continue;
            }
            if (!a.startsWith("-")) {
                return false; // the application jar: the rest are its arguments
            }
            if (i + 1 < args.size()) {
                String value = args.get(++i);
                if ((a.equals("--conf") || a.equals("-c")) && value.startsWith("spark.master=")) {
                    return true;
                }
            }
        }
        return false;
    }
}
