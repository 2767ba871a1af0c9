package dev.tower.spark;

import dev.tower.api.model.CommandInfo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the command of an executor's Tower task, in one of three ways of finding Spark on the agent:
 * <ol>
 *   <li>{@code spark.executor.uri}: a Spark distribution archive the agent's fetcher downloads and extracts into the
 *       sandbox; the executor runs {@code <dir>/bin/spark-class} from the extracted directory.</li>
 *   <li>{@code spark.tower.executor.home}: a Spark installed on every agent; runs {@code <home>/bin/spark-class}.</li>
 *   <li>otherwise the driver's own Spark home (Tower's distribution, present at the same path on every machine):
 *       runs {@code java -cp '<home>/conf:<home>/jars/*'} directly, the agent's {@code JAVA_HOME} java when set. This skips
 *       Spark's shell launcher, so it needs nothing from the home but its jars (and its log configuration).</li>
 * </ol>
 * Every executor's scratch space ({@code SPARK_LOCAL_DIRS}) is its sandbox, which Tower cleans up after the task,
 * unless the agent's environment or {@code spark.executorEnv.SPARK_LOCAL_DIRS} names other disks.
 */
public final class ExecutorCommand {
    static final String MAIN_CLASS = "org.apache.spark.executor.CoarseGrainedExecutorBackend";
    /** Spark's default resource profile; the only one Tower executors serve. */
    static final int DEFAULT_RESOURCE_PROFILE = 0;

    /** How the executor finds Spark. */
    public enum Mode { URI, HOME, DRIVER_HOME }

    private final TowerSparkConf conf;
    private final ExecutorLaunchContext context;
    private final Mode mode;
    private final String home;

    /** Throws {@link IllegalArgumentException} when there is no Spark for executors to run. */
    public ExecutorCommand(TowerSparkConf conf, ExecutorLaunchContext context) {
        this.conf = conf;
        this.context = context;
        if (conf.executorUri().isPresent()) {
            mode = Mode.URI;
            home = null;
        } else if (conf.executorHome().isPresent()) {
            mode = Mode.HOME;
            home = conf.executorHome().get();
        } else if (context.driverSparkHome().isPresent()) {
            mode = Mode.DRIVER_HOME;
            home = context.driverSparkHome().get();
        } else {
            throw new IllegalArgumentException("no Spark for executors to run: set " + TowerSparkConf.EXECUTOR_HOME
                    + " (Spark installed on the agents), " + TowerSparkConf.EXECUTOR_URI
                    + " (a Spark archive to fetch), or SPARK_HOME for the driver (the same path on every agent)");
        }
    }

    public Mode mode() {
        return mode;
    }

    public CommandInfo build(TowerExecutor executor, String appId) {
        List<String> backendArgs = List.of(MAIN_CLASS,
                "--driver-url", context.driverUrl(),
                "--executor-id", executor.executorId(),
                "--hostname", executor.hostname(),
                "--cores", Integer.toString(executor.cores()),
                "--app-id", appId,
                "--resourceProfileId", Integer.toString(DEFAULT_RESOURCE_PROFILE));

        StringBuilder sh = new StringBuilder("export SPARK_LOCAL_DIRS=\"${SPARK_LOCAL_DIRS:-$TOWER_SANDBOX}\"; ");
        conf.executorExtraLibraryPath().ifPresent(p -> sh.append("export LD_LIBRARY_PATH=").append(Shell.quote(p))
                .append("\"${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\"; "));
        List<CommandInfo.FetchUri> uris = List.of();
        switch (mode) {
            case URI -> {
                String uri = conf.executorUri().orElseThrow();
                String dir = TowerSparkConf.archiveBaseName(uri).orElseThrow();
                // The glob takes the directory even when the archive's name carries an extra suffix.
                sh.append("cd ").append(Shell.quote(dir)).append("*/ && exec ./bin/spark-class ")
                        .append(Shell.join(backendArgs));
                uris = List.of(new CommandInfo.FetchUri(uri, true, false, null));
            }
            case HOME -> sh.append("exec ").append(Shell.quote(home + "/bin/spark-class")).append(' ')
                    .append(Shell.join(backendArgs));
            case DRIVER_HOME -> {
                List<String> java = new ArrayList<>();
                java.add("-cp");
                // conf/ first, as spark-class has it: executors then log (and configure) like the driver's install.
                java.add(conf.executorExtraClassPath().map(cp -> cp + ":").orElse("") + home + "/conf:" + home + "/jars/*");
                java.addAll(javaOptions());
                java.add("-Xmx" + conf.executorMemoryMb() + "m");
                java.addAll(backendArgs);
                sh.append("exec \"${JAVA_HOME:+$JAVA_HOME/bin/}java\" ").append(Shell.join(java));
            }
            default -> throw new IllegalStateException(mode.toString());
        }
        return new CommandInfo(true, sh.toString(), List.of(), environment(), uris, null, null);
    }

    /** The user's java options split as Spark splits them, then the start-up settings. */
    List<String> javaOptions() {
        List<String> out = new ArrayList<>(JavaOptions.split(conf.executorJavaOptions()));
        out.addAll(context.startupJavaOptions());
        return out;
    }

    private Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SPARK_SCALA_VERSION", context.scalaBinaryVersion());
        env.put("SPARK_USER", context.sparkUser());
        env.put("SPARK_EXECUTOR_MEMORY", conf.executorMemoryMb() + "m");
        if (home != null) {
            env.put("SPARK_HOME", home);
        }
        if (mode != Mode.DRIVER_HOME) {
            // Read by bin/spark-class (SparkClassCommandBuilder) for CoarseGrainedExecutorBackend.
            env.put("SPARK_EXECUTOR_OPTS", Shell.join(javaOptions()));
            conf.executorExtraClassPath().ifPresent(cp -> env.put("SPARK_EXECUTOR_CLASSPATH", cp));
        }
        context.authSecret().ifPresent(s -> env.put("_SPARK_AUTH_SECRET", s));
        env.putAll(context.executorEnvs());
        return env;
    }

    Optional<String> home() {
        return Optional.ofNullable(home);
    }
}
