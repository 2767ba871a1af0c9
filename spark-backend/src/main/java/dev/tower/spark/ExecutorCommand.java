package dev.tower.spark;

import dev.tower.api.model.CommandInfo;
import dev.tower.spark.cds.ExecutorClassData;

import java.nio.file.Path;
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
 * In the third way, executors start from the home's class data sharing archive ({@link ExecutorClassData}) when it
 * has one made by the driver's JVM for the jars as they are, {@code spark.tower.executor.classDataSharing} is on (the
 * default) and {@code spark.executor.extraClassPath} is unset (its entries come first, and the archive must start
 * the class path). The command then checks on the agent that the archive and its argument file are there and made
 * in this home, and otherwise starts the executor as without: an agent whose copy of the home lacks the archive, or
 * whose JVM is another, only starts executors a little slower. The other two ways never use an archive.
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
    /** The archive executors start from, when the driver's Spark home has a usable one. */
    private final Optional<ExecutorClassData> classData;
    /** Why executors start without class data sharing; empty when they use it or it does not apply. */
    private final Optional<String> noClassData;

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
        if (mode != Mode.DRIVER_HOME || !conf.classDataSharing()) {
            classData = Optional.empty();
            noClassData = Optional.empty();
        } else if (conf.executorExtraClassPath().isPresent()) {
            classData = Optional.empty();
            noClassData = Optional.of(TowerSparkConf.EXTRA_CLASS_PATH + " is set");
        } else {
            ExecutorClassData data = new ExecutorClassData(Path.of(home));
            ExecutorClassData.Check check = data.check();
            classData = check.usable() ? Optional.of(data) : Optional.empty();
            noClassData = check.usable() ? Optional.empty() : Optional.of(check.reason());
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
                // conf/ first, as spark-class has it: executors then log (and configure) like the driver's install.
                String classPath = conf.executorExtraClassPath().map(cp -> cp + ":").orElse("") + home + "/conf:"
                        + home + "/jars/*";
                List<String> java = new ArrayList<>(javaOptions());
                java.add("-Xmx" + conf.executorMemoryMb() + "m");
                java.addAll(backendArgs);
                String exec = "exec \"${JAVA_HOME:+$JAVA_HOME/bin/}java\" ";
                if (classData.isPresent()) {
                    // The argument file carries the archive and the class path it was made for (jars, then conf/).
                    ExecutorClassData d = classData.get();
                    String argFile = Shell.quote(d.argFile().toString());
                    sh.append("set -- -cp ").append(Shell.quote(classPath)).append("; ")
                            .append("if [ -r ").append(Shell.quote(d.archive().toString())).append(" ] && [ -r ")
                            .append(argFile).append(" ] && read -r h < ").append(argFile).append(" && [ \"$h\" = ")
                            .append(Shell.quote(d.header())).append(" ]; then set -- ")
                            .append(Shell.quote("@" + d.argFile())).append("; fi; ")
                            .append(exec).append("\"$@\" ").append(Shell.join(java));
                } else {
                    sh.append(exec).append("-cp ").append(Shell.quote(classPath)).append(' ').append(Shell.join(java));
                }
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

    /** The class data sharing archive executors start from, if any. */
    public Optional<ExecutorClassData> classData() {
        return classData;
    }

    /** Why executors of the driver's Spark home start without class data sharing, when they do and it is on. */
    public Optional<String> noClassData() {
        return noClassData;
    }
}
