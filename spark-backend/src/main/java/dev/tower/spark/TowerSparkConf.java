package dev.tower.spark;

import dev.tower.api.model.ContainerInfo;
import org.apache.spark.network.util.JavaUtils;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Every setting the Tower backend reads, parsed and checked once when the SparkContext creates the backend, so a bad
 * value stops the application at start-up with a message naming the setting rather than misbehaving later.
 *
 * <p>Tower's own settings (defaults in brackets):
 * <ul>
 *   <li>{@code spark.tower.role} [{@code *}]: the Tower role the framework subscribes in.</li>
 *   <li>{@code spark.tower.principal} [none]: the framework's principal.</li>
 *   <li>{@code spark.tower.failoverTimeout} [120s]: how long Tower keeps the executors of a driver that lost its
 *       connection, so a short network blip or master failover does not kill the application's executors.</li>
 *   <li>{@code spark.tower.subscribeTimeout} [60s]: how long start-up waits for a Tower master to accept the
 *       framework.</li>
 *   <li>{@code spark.tower.constraints} [none]: agent attributes executors need, e.g. {@code rack:r1;zone:a,b}
 *       (see {@link AgentConstraints}).</li>
 *   <li>{@code spark.tower.executor.maxPerAgent} [unlimited]: executors of this application on one agent.</li>
 *   <li>{@code spark.tower.maxAgentFailures} [2]: executor failures on one agent after which no more executors are
 *       placed there.</li>
 *   <li>{@code spark.tower.rejectOfferDuration} [120s]: how long declined offers stay away when the application has
 *       all it asked for or cannot use the agent (constraints, exclusion, per-agent limit). Any new demand revives
 *       offers at once, so a long value costs nothing.</li>
 *   <li>{@code spark.tower.executor.home} [none]: a Spark installation present on every agent; executors run its
 *       {@code bin/spark-class}.</li>
 *   <li>{@code spark.tower.shutdownTimeout} [0s]: how long stopping waits for executors to exit on their own before
 *       the framework is torn down (which kills what is left). By default it does not wait: the executors were told to
 *       stop already, and waiting for their JVMs to exit kept spark-submit alive about half a second longer than on
 *       Spark standalone. Set it to see executor tasks end FINISHED rather than KILLED.</li>
 *   <li>{@code spark.tower.executor.classDataSharing} [true]: executors run from the driver's Spark home start from
 *       its class data sharing archive when it has one for their JVM (see {@link ExecutorCommand}); false starts them
 *       as plain JVMs.</li>
 *   <li>{@code spark.tower.executor.docker.image} [none]: run executors in Docker containers of this image, on agents
 *       that run Docker tasks, with the agent's network. The image needs a Java 17 ({@code java} on its PATH, or
 *       {@code spark.executorEnv.JAVA_HOME}) and Spark where executors look for it: at
 *       {@code spark.tower.executor.home}, at the driver's Spark home path (mount it with the next setting), or
 *       fetched with {@code spark.executor.uri}.</li>
 *   <li>{@code spark.tower.executor.docker.volumes} [none]: {@code /host:/container[:ro|:rw]}, comma-separated,
 *       mounted into executor containers (read-only by default); agents refuse paths they do not allow.</li>
 *   <li>{@code spark.tower.executor.docker.forcePullImage} [false]: pull the image before every executor.</li>
 * </ul>
 *
 * <p>Spark settings honoured: {@code spark.executor.cores} [1], {@code spark.executor.memory} [1g],
 * {@code spark.executor.memoryOverhead} [max({@code spark.executor.minMemoryOverhead} (384m),
 * {@code spark.executor.memoryOverheadFactor} (0.10) × executor memory)], off-heap and PySpark memory when set,
 * {@code spark.cores.max} ({@code --total-executor-cores}) [unlimited], {@code spark.executor.instances} [unlimited,
 * bounded by cores], {@code spark.dynamicAllocation.enabled}, {@code spark.executor.uri} (a Spark distribution archive
 * fetched into each executor's sandbox; wins over {@code spark.tower.executor.home}),
 * {@code spark.executor.defaultJavaOptions}, {@code spark.executor.extraJavaOptions},
 * {@code spark.executor.extraClassPath}, {@code spark.executor.extraLibraryPath}.
 *
 * <p>Why one core per executor by default: Tower is shared, and an executor that took every core of an offer (what
 * Spark standalone does when {@code spark.executor.cores} is unset) would take whole machines from other frameworks;
 * and Spark's dynamic allocation computes how many executors to ask for from {@code spark.executor.cores} (default
 * 1), so executors must have exactly that many cores for its arithmetic to hold. YARN and Kubernetes make the same
 * choice.
 */
public record TowerSparkConf(
        String role,
        Optional<String> principal,
        Duration failoverTimeout,
        Duration subscribeTimeout,
        AgentConstraints constraints,
        int maxExecutorsPerAgent,
        int maxAgentFailures,
        Duration rejectOfferDuration,
        Duration shutdownTimeout,
        int executorCores,
        long executorMemoryMb,
        long memoryOverheadMb,
        long extraMemoryMb,
        OptionalInt executorInstances,
        OptionalInt coresMax,
        boolean dynamicAllocation,
        Optional<String> executorHome,
        Optional<String> executorUri,
        String executorJavaOptions,
        Optional<String> executorExtraClassPath,
        Optional<String> executorExtraLibraryPath,
        boolean classDataSharing,
        Optional<ContainerInfo> executorContainer) {

    public static final String ROLE = "spark.tower.role";
    public static final String PRINCIPAL = "spark.tower.principal";
    public static final String FAILOVER_TIMEOUT = "spark.tower.failoverTimeout";
    public static final String SUBSCRIBE_TIMEOUT = "spark.tower.subscribeTimeout";
    public static final String CONSTRAINTS = "spark.tower.constraints";
    public static final String MAX_PER_AGENT = "spark.tower.executor.maxPerAgent";
    public static final String MAX_AGENT_FAILURES = "spark.tower.maxAgentFailures";
    public static final String REJECT_OFFER_DURATION = "spark.tower.rejectOfferDuration";
    public static final String SHUTDOWN_TIMEOUT = "spark.tower.shutdownTimeout";
    public static final String EXECUTOR_HOME = "spark.tower.executor.home";
    public static final String CLASS_DATA_SHARING = "spark.tower.executor.classDataSharing";
    public static final String DOCKER_IMAGE = "spark.tower.executor.docker.image";
    public static final String DOCKER_FORCE_PULL = "spark.tower.executor.docker.forcePullImage";
    public static final String DOCKER_VOLUMES = "spark.tower.executor.docker.volumes";

    public static final String EXECUTOR_CORES = "spark.executor.cores";
    public static final String EXECUTOR_MEMORY = "spark.executor.memory";
    public static final String MEMORY_OVERHEAD = "spark.executor.memoryOverhead";
    public static final String MIN_MEMORY_OVERHEAD = "spark.executor.minMemoryOverhead";
    public static final String MEMORY_OVERHEAD_FACTOR = "spark.executor.memoryOverheadFactor";
    public static final String OFF_HEAP_ENABLED = "spark.memory.offHeap.enabled";
    public static final String OFF_HEAP_SIZE = "spark.memory.offHeap.size";
    public static final String PYSPARK_MEMORY = "spark.executor.pyspark.memory";
    public static final String EXECUTOR_INSTANCES = "spark.executor.instances";
    public static final String CORES_MAX = "spark.cores.max";
    public static final String DYNAMIC_ALLOCATION = "spark.dynamicAllocation.enabled";
    public static final String EXECUTOR_URI = "spark.executor.uri";
    public static final String DEFAULT_JAVA_OPTIONS = "spark.executor.defaultJavaOptions";
    public static final String EXTRA_JAVA_OPTIONS = "spark.executor.extraJavaOptions";
    public static final String EXTRA_CLASS_PATH = "spark.executor.extraClassPath";
    public static final String EXTRA_LIBRARY_PATH = "spark.executor.extraLibraryPath";

    /** Archives the agent's fetcher can extract; the executor runs from the directory inside. */
    static final String[] ARCHIVE_SUFFIXES = {".tar.gz", ".tgz", ".tar", ".zip"};

    /** Reads the settings from a Spark configuration's entries; throws {@link IllegalArgumentException} naming the bad one. */
    public static TowerSparkConf from(Map<String, String> conf) {
        Reader r = new Reader(conf);
        String role = r.string(ROLE).orElse("*");
        if (!role.matches("\\*|[A-Za-z0-9_.-]+")) {
            throw r.bad(ROLE, "must be * or a role name of letters, digits, '_', '.' and '-'");
        }
        Optional<String> principal = r.string(PRINCIPAL);
        Duration failover = r.duration(FAILOVER_TIMEOUT, "120s", false);
        Duration subscribe = r.duration(SUBSCRIBE_TIMEOUT, "60s", true);
        AgentConstraints constraints;
        try {
            constraints = AgentConstraints.parse(r.string(CONSTRAINTS).orElse(""));
        } catch (IllegalArgumentException e) {
            throw r.bad(CONSTRAINTS, e.getMessage() + " (expected key:value[,value];key...)");
        }
        int maxPerAgent = r.positiveInt(MAX_PER_AGENT).orElse(Integer.MAX_VALUE);
        int maxFailures = r.positiveInt(MAX_AGENT_FAILURES).orElse(2);
        Duration reject = r.duration(REJECT_OFFER_DURATION, "120s", false);
        Duration shutdown = r.duration(SHUTDOWN_TIMEOUT, "0s", false);

        int cores = r.positiveInt(EXECUTOR_CORES).orElse(1);
        long memory = r.sizeMb(EXECUTOR_MEMORY).orElse(1024L);
        if (memory <= 0) {
            throw r.bad(EXECUTOR_MEMORY, "must be at least 1m");
        }
        long overhead;
        Optional<Long> explicitOverhead = r.sizeMb(MEMORY_OVERHEAD);
        if (explicitOverhead.isPresent()) {
            overhead = explicitOverhead.get();
        } else {
            long minOverhead = r.sizeMb(MIN_MEMORY_OVERHEAD).orElse(384L);
            double factor = r.positiveDouble(MEMORY_OVERHEAD_FACTOR).orElse(0.10);
            overhead = Math.max(minOverhead, (long) (factor * memory));
        }
        long extra = 0;
        if (r.bool(OFF_HEAP_ENABLED, false)) {
            long offHeap = r.sizeMb(OFF_HEAP_SIZE).orElse(0L);
            if (offHeap <= 0) {
                throw r.bad(OFF_HEAP_SIZE, "must be positive when " + OFF_HEAP_ENABLED + " is true");
            }
            extra += offHeap;
        }
        extra += r.sizeMb(PYSPARK_MEMORY).orElse(0L);

        OptionalInt instances = r.nonNegativeInt(EXECUTOR_INSTANCES);
        OptionalInt coresMax = r.positiveInt(CORES_MAX);
        if (coresMax.isPresent() && coresMax.getAsInt() < cores) {
            throw r.bad(CORES_MAX, "is below " + EXECUTOR_CORES + " (" + cores + "): no executor could be launched");
        }
        boolean dynamic = r.bool(DYNAMIC_ALLOCATION, false);

        Optional<String> home = r.string(EXECUTOR_HOME);
        if (home.isPresent() && !home.get().startsWith("/")) {
            throw r.bad(EXECUTOR_HOME, "must be an absolute path on the agents");
        }
        Optional<String> uri = r.string(EXECUTOR_URI);
        if (uri.isPresent() && archiveBaseName(uri.get()).isEmpty()) {
            throw r.bad(EXECUTOR_URI, "must name a Spark distribution archive ending in .tgz, .tar.gz, .tar or .zip");
        }
        String javaOptions = joinOptions(r.string(DEFAULT_JAVA_OPTIONS).orElse(""),
                r.string(EXTRA_JAVA_OPTIONS).orElse(""));
        try {
            JavaOptions.split(javaOptions);
        } catch (IllegalArgumentException e) {
            throw r.bad(EXTRA_JAVA_OPTIONS, e.getMessage());
        }
        return new TowerSparkConf(role, principal, failover, subscribe, constraints, maxPerAgent, maxFailures, reject,
                shutdown, cores, memory, overhead, extra, instances, coresMax, dynamic, home, uri, javaOptions,
                r.string(EXTRA_CLASS_PATH), r.string(EXTRA_LIBRARY_PATH), r.bool(CLASS_DATA_SHARING, true),
                executorContainer(r));
    }

    /**
     * The container executors run in, from {@code spark.tower.executor.docker.*}: the image, pulled always or only
     * when absent, on the agent's network (executors and the driver reach each other as without containers), with
     * the volumes listed ({@code host:container[:ro|:rw]}, comma-separated; the agents must allow them).
     */
    private static Optional<ContainerInfo> executorContainer(Reader r) {
        Optional<String> image = r.string(DOCKER_IMAGE);
        if (image.isEmpty()) {
            if (r.string(DOCKER_VOLUMES).isPresent()) {
                throw r.bad(DOCKER_VOLUMES, "needs " + DOCKER_IMAGE);
            }
            return Optional.empty();
        }
        if (image.get().chars().anyMatch(Character::isWhitespace)) {
            throw r.bad(DOCKER_IMAGE, "'" + image.get() + "' is not an image name");
        }
        List<ContainerInfo.Volume> volumes = new ArrayList<>();
        for (String v : r.string(DOCKER_VOLUMES).orElse("").split(",")) {
            if (v.isBlank()) {
                continue;
            }
            String[] parts = v.trim().split(":");
            if (parts.length < 2 || parts.length > 3 || !parts[0].startsWith("/") || !parts[1].startsWith("/")
                    || (parts.length == 3 && !parts[2].equals("ro") && !parts[2].equals("rw"))) {
                throw r.bad(DOCKER_VOLUMES, "'" + v.trim() + "' is not /host/path:/container/path[:ro|:rw]");
            }
            volumes.add(new ContainerInfo.Volume(parts[0], parts[1],
                    parts.length == 3 && parts[2].equals("rw") ? ContainerInfo.Mode.RW : ContainerInfo.Mode.RO));
        }
        return Optional.of(ContainerInfo.docker(image.get()).withNetwork(ContainerInfo.Network.HOST)
                .withPullPolicy(r.bool(DOCKER_FORCE_PULL, false) ? ContainerInfo.PullPolicy.ALWAYS
                        : ContainerInfo.PullPolicy.IF_NOT_PRESENT)
                .withVolumes(volumes));
    }

    /** The memory of one executor's Tower task: heap, overhead, and any off-heap or PySpark memory. */
    public long executorTaskMemoryMb() {
        return executorMemoryMb + memoryOverheadMb + extraMemoryMb;
    }

    /**
     * The executors wanted when nothing has asked for a number yet: none under dynamic allocation (Spark's allocation
     * manager sends its initial target), {@code spark.executor.instances} when set, otherwise as many as
     * {@code spark.cores.max} and the cluster allow.
     */
    public OptionalInt initialTarget() {
        if (dynamicAllocation) {
            return OptionalInt.of(0);
        }
        return executorInstances;
    }

    /**
     * The directory name a distribution archive unpacks to, by convention its file name without the archive suffix
     * ({@code spark-4.2.0-bin-hadoop3.tgz} → {@code spark-4.2.0-bin-hadoop3}); empty when the URI names no archive.
     */
    static Optional<String> archiveBaseName(String uri) {
        String path = uri;
        int cut = path.indexOf('?');
        if (cut >= 0) {
            path = path.substring(0, cut);
        }
        String name = path.substring(path.lastIndexOf('/') + 1);
        String lower = name.toLowerCase(Locale.ROOT);
        for (String suffix : ARCHIVE_SUFFIXES) {
            if (lower.endsWith(suffix) && lower.length() > suffix.length()) {
                return Optional.of(name.substring(0, name.length() - suffix.length()));
            }
        }
        return Optional.empty();
    }

    /**
     * Spark's defaultJavaOptions go before extraJavaOptions. SparkContext already copies its module options into
     * extraJavaOptions; a default already present there is not repeated.
     */
    private static String joinOptions(String defaults, String extra) {
        String d = defaults.trim();
        String e = extra.trim();
        if (d.isEmpty() || e.contains(d)) {
            return e;
        }
        return e.isEmpty() ? d : d + " " + e;
    }

    /** Typed access to the configuration, every failure naming its key. */
    private static final class Reader {
        private final Map<String, String> conf;

        Reader(Map<String, String> conf) {
            this.conf = conf;
        }

        IllegalArgumentException bad(String key, String problem) {
            String value = conf.get(key);
            return new IllegalArgumentException(key + ": " + problem + (value == null ? "" : ", got \"" + value + "\""));
        }

        Optional<String> string(String key) {
            String v = conf.get(key);
            return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
        }

        OptionalInt positiveInt(String key) {
            OptionalInt v = integer(key, "must be a positive integer");
            if (v.isPresent() && v.getAsInt() <= 0) {
                throw bad(key, "must be a positive integer");
            }
            return v;
        }

        OptionalInt nonNegativeInt(String key) {
            OptionalInt v = integer(key, "must be an integer >= 0");
            if (v.isPresent() && v.getAsInt() < 0) {
                throw bad(key, "must be an integer >= 0");
            }
            return v;
        }

        private OptionalInt integer(String key, String problem) {
            Optional<String> s = string(key);
            if (s.isEmpty()) {
                return OptionalInt.empty();
            }
            try {
                return OptionalInt.of(Integer.parseInt(s.get()));
            } catch (NumberFormatException e) {
                throw bad(key, problem);
            }
        }

        Optional<Double> positiveDouble(String key) {
            Optional<String> s = string(key);
            if (s.isEmpty()) {
                return Optional.empty();
            }
            try {
                double d = Double.parseDouble(s.get());
                if (d > 0 && !Double.isInfinite(d)) {
                    return Optional.of(d);
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw bad(key, "must be a positive number");
        }

        boolean bool(String key, boolean def) {
            Optional<String> s = string(key);
            if (s.isEmpty()) {
                return def;
            }
            return switch (s.get().toLowerCase(Locale.ROOT)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw bad(key, "must be true or false");
            };
        }

        /** Spark's size syntax ({@code 512m}, {@code 2g}; a bare number is MiB). */
        Optional<Long> sizeMb(String key) {
            Optional<String> s = string(key);
            if (s.isEmpty()) {
                return Optional.empty();
            }
            try {
                long mb = JavaUtils.byteStringAsMb(s.get());
                if (mb >= 0) {
                    return Optional.of(mb);
                }
            } catch (RuntimeException e) {
                // reported below
            }
            throw bad(key, "must be a size such as 512m or 2g");
        }

        /** Spark's time syntax ({@code 30s}, {@code 2min}; a bare number is seconds). */
        Duration duration(String key, String def, boolean positive) {
            String s = string(key).orElse(def);
            long ms;
            try {
                ms = JavaUtils.timeStringAsMs(s.matches("\\d+") ? s + "s" : s);
            } catch (RuntimeException e) {
                throw bad(key, "must be a duration such as 30s or 2min");
            }
            if (ms < 0 || (positive && ms == 0)) {
                throw bad(key, positive ? "must be a positive duration" : "must not be negative");
            }
            return Duration.ofMillis(ms);
        }
    }
}
