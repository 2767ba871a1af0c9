package dev.tower.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A single-node Kafka (KRaft: broker and controller in one process) in a child JVM, for {@code tower up} and tests.
 * <pre>{@code
 * try (KafkaBroker kafka = KafkaBroker.builder(workDir.resolve("kafka")).port(9092).start()) {
 *     String bootstrap = kafka.bootstrapServers();   // "127.0.0.1:9092"
 *     ...
 *     kafka.kill();      // SIGKILL, e.g. an outage in a test
 *     kafka.start();     // the same data dir and ports: topics and their records are still there
 * }                      // stop(): SIGTERM, a clean shutdown (bounded), then SIGKILL
 * }</pre>
 * The data dir holds {@code server.properties}, {@code log4j2.properties}, the broker's log {@code broker.log} and its
 * data ({@code data/}); the first start formats it ({@code kafka.tools.StorageTool format --standalone}). Listeners
 * are on loopback by default, on free ports unless given; internal topics have replication factor 1.
 *
 * <h2>Class path</h2>
 * The child runs from the jars of {@code org.apache.kafka:kafka_2.13} (same release as Tower's kafka-clients) with
 * log4j as its slf4j back end. Tower's build records them (this module's {@code provided} and runtime dependencies,
 * relative to the local Maven repository) in {@code META-INF/tower/kafka-broker.*.classpath}; at run time they are
 * looked up in {@code -Dtower.maven.repo}, the repository Tower was built with, then {@code ~/.m2/repository}. So a
 * {@code tower} built on this machine with Maven finds them with no set-up; elsewhere point {@code -Dtower.kafka.lib}
 * or {@code TOWER_KAFKA_LIB} at a directory holding those jars (or pass {@link Builder#classpath}).
 * The child JVM exits by itself when its parent process dies.
 */
public final class KafkaBroker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaBroker.class);
    private static final String RESOURCE_DIR = "META-INF/tower/";
    private static final String REPO_TOKEN = "$M2";

    private final Path dataDir;
    private final String host;
    private final int requestedPort;
    private final int requestedControllerPort;
    private final List<String> jvmOptions;
    private final List<Path> explicitClasspath;
    private final Duration startTimeout;
    private final Duration stopTimeout;
    private final Map<String, String> properties;
    private final String logLevel;

    private int port;
    private int controllerPort;
    private Process process;
    private Thread shutdownHook;

    private KafkaBroker(Builder b) {
        this.dataDir = b.dataDir.toAbsolutePath();
        this.host = b.host;
        this.requestedPort = b.port;
        this.requestedControllerPort = b.controllerPort;
        this.jvmOptions = List.copyOf(b.jvmOptions);
        this.explicitClasspath = b.classpath == null ? null : List.copyOf(b.classpath);
        this.startTimeout = b.startTimeout;
        this.stopTimeout = b.stopTimeout;
        this.properties = Map.copyOf(b.properties);
        this.logLevel = b.logLevel;
    }

    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    public static final class Builder {
        private final Path dataDir;
        private String host = "127.0.0.1";
        private int port;
        private int controllerPort;
        private List<String> jvmOptions = List.of("-Xms64m", "-Xmx512m", "-XX:+UseG1GC",
                "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true");
        private List<Path> classpath;
        private Duration startTimeout = Duration.ofSeconds(90);
        private Duration stopTimeout = Duration.ofSeconds(30);
        private final Map<String, String> properties = new LinkedHashMap<>();
        private String logLevel = "INFO";

        private Builder(Path dataDir) {
            this.dataDir = dataDir;
        }

        /** Address of both listeners (default 127.0.0.1). */
        public Builder host(String v) {
            this.host = v;
            return this;
        }

        /** Client port (default 0: a free port, kept across restarts). */
        public Builder port(int v) {
            this.port = v;
            return this;
        }

        /** KRaft controller port (default 0: a free port). */
        public Builder controllerPort(int v) {
            this.controllerPort = v;
            return this;
        }

        /** Options of the broker JVM (default a 512 MiB heap). */
        public Builder jvmOptions(List<String> v) {
            this.jvmOptions = v;
            return this;
        }

        /** The broker's jars, instead of finding them (see the class comment). */
        public Builder classpath(List<Path> v) {
            this.classpath = v;
            return this;
        }

        public Builder startTimeout(Duration v) {
            this.startTimeout = v;
            return this;
        }

        /** How long {@link #stop()} waits for a clean shutdown before SIGKILL (default 30 s). */
        public Builder stopTimeout(Duration v) {
            this.stopTimeout = v;
            return this;
        }

        /** An extra or overriding line of {@code server.properties}. */
        public Builder property(String key, String value) {
            this.properties.put(key, value);
            return this;
        }

        /** Root log level of the broker's log file (default INFO). */
        public Builder logLevel(String v) {
            this.logLevel = v;
            return this;
        }

        public KafkaBroker build() {
            return new KafkaBroker(this);
        }

        /** Builds and {@linkplain KafkaBroker#start() starts} it. */
        public KafkaBroker start() throws IOException {
            KafkaBroker b = build();
            b.start();
            return b;
        }
    }

    /**
     * Starts the broker (formatting its data dir on first use) and waits until it answers, at most the start timeout.
     * Also restarts a stopped or killed broker, on the same data dir and ports.
     * @throws IOException if it cannot start; the message ends with the last lines of its log
     */
    public synchronized void start() throws IOException {
        if (isRunning()) {
            return;
        }
        Files.createDirectories(dataDir);
        killLeftover();
        if (port == 0) {
            port = requestedPort != 0 ? requestedPort : freePort();
        }
        if (controllerPort == 0) {
            controllerPort = requestedControllerPort != 0 ? requestedControllerPort : freePort();
        }
        List<Path> cp = explicitClasspath != null ? explicitClasspath : runtimeClasspath();
        String classpath = cp.stream().map(Path::toString).collect(Collectors.joining(java.io.File.pathSeparator));
        writeConfig();
        long began = System.nanoTime();
        if (!Files.exists(dataDir.resolve("data").resolve("meta.properties"))) {
            String clusterId = Uuid.randomUuid().toString();
            Process format = launch(classpath, List.of("-Xmx256m"), "kafka.tools.StorageTool",
                    List.of("format", "--standalone", "-t", clusterId, "-c", serverProperties().toString()));
            try {
                if (!format.waitFor(startTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    format.destroyForcibly().waitFor();
                    throw new IOException("formatting Kafka's data dir timed out" + logTail());
                }
            } catch (InterruptedException e) {
                format.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while formatting Kafka's data dir", e);
            }
            if (format.exitValue() != 0) {
                throw new IOException("formatting Kafka's data dir failed (exit " + format.exitValue() + ")" + logTail());
            }
        }
        process = launch(classpath, jvmOptions, "kafka.Kafka", List.of(serverProperties().toString()));
        Files.writeString(dataDir.resolve("broker.pid"), process.pid() + "\n");
        if (shutdownHook == null) {
            shutdownHook = new Thread(this::stopQuietly, "tower-kafka-broker-stop");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        try {
            awaitReady(began);
        } catch (IOException | RuntimeException e) {
            kill();
            throw e;
        }
        log.info("Kafka broker ready at {} in {} ms (pid {}, data {}, log {})", bootstrapServers(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began), process.pid(), dataDir, logFile());
    }

    /** {@code host:port} of the client listener. */
    public synchronized String bootstrapServers() {
        if (port == 0) {
            throw new IllegalStateException("the broker has not been started");
        }
        return host + ":" + port;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    public synchronized OptionalLong pid() {
        return process == null ? OptionalLong.empty() : OptionalLong.of(process.pid());
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The broker's stdout and stderr (its log4j output), appended across restarts. */
    public Path logFile() {
        return dataDir.resolve("broker.log");
    }

    /** SIGTERM and wait for a clean shutdown (at most the stop timeout), then SIGKILL. Keeps the data. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(stopTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("Kafka broker (pid {}) did not stop within {}; killing it", process.pid(), stopTimeout);
                    process.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        released();
    }

    /** SIGKILL: the broker dies at once, as in a crash. {@link #start()} brings it back on the same data. */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        released();
    }

    /** {@link #stop()} then {@link #start()}, same data dir and ports. */
    public synchronized void restart() throws IOException {
        stop();
        start();
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
        synchronized (this) {
            if (shutdownHook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                } catch (IllegalStateException e) {
                    // already shutting down
                }
                shutdownHook = null;
            }
        }
    }

    private void released() {
        process = null;
        try {
            Files.deleteIfExists(dataDir.resolve("broker.pid"));
        } catch (IOException ignored) {
            // best effort
        }
    }

    private void stopQuietly() {
        Process p;
        synchronized (this) {
            p = process;
        }
        if (p != null && p.isAlive()) {
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
    }

    /** A broker of ours left running by a parent that died (it would exit by itself, but may hold the ports). */
    private void killLeftover() {
        Path pidFile = dataDir.resolve("broker.pid");
        try {
            if (!Files.exists(pidFile)) {
                return;
            }
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isPresent() && h.get().info().commandLine().map(c -> c.contains(BrokerLauncher.class.getName())
                    && c.contains(dataDir.toString())).orElse(false)) {
                log.warn("killing a Kafka broker (pid {}) left running on {}", pid, dataDir);
                h.get().destroyForcibly();
                h.get().onExit().get(30, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(pidFile);
        } catch (Exception e) {
            log.debug("no leftover broker: {}", e.toString());
        }
    }

    private Process launch(String classpath, List<String> options, String mainClass, List<String> args)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(options);
        cmd.add("-Dlog4j2.configurationFile=" + dataDir.resolve("log4j2.properties"));
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(BrokerLauncher.class.getName());
        cmd.add(Long.toString(ProcessHandle.current().pid()));
        cmd.add(mainClass);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dataDir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()));
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().remove("KAFKA_OPTS");
        return pb.start();
    }

    private void awaitReady(long began) throws IOException {
        long deadline = began + startTimeout.toNanos();
        Map<String, Object> props = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000,
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200,
                AdminClientConfig.CLIENT_ID_CONFIG, "tower-kafka-broker-probe");
        Admin admin = null;
        try {
            while (true) {
                if (!process.isAlive()) {
                    throw new IOException("Kafka broker exited during start-up (exit " + process.exitValue() + ")"
                            + logTail());
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("Kafka broker not ready at " + bootstrapServers() + " after " + startTimeout
                            + logTail());
                }
                if (admin == null && listening()) {
                    admin = Admin.create(props);
                }
                if (admin != null) {
                    try {
                        if (!admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) {
                            return;
                        }
                    } catch (Exception e) {
                        log.debug("broker not ready yet: {}", e.toString());
                    }
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the Kafka broker", e);
        } finally {
            if (admin != null) {
                admin.close(Duration.ofSeconds(2));
            }
        }
    }

    private boolean listening() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private Path serverProperties() {
        return dataDir.resolve("server.properties");
    }

    private void writeConfig() throws IOException {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.bootstrap.servers", host + ":" + controllerPort);
        p.put("listeners", "PLAINTEXT://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + host + ":" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", dataDir.resolve("data").toString());
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // One node: after a SIGKILL the restarted controller waits out the dead broker's session before taking the new
        // one (9 s by default); keep that short.
        p.put("broker.heartbeat.interval.ms", "500");
        p.put("broker.session.timeout.ms", "2500");
        p.putAll(properties);
        StringBuilder sb = new StringBuilder("# written by Tower's KafkaBroker on every start\n");
        p.forEach((k, v) -> sb.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        Files.writeString(serverProperties(), sb);
        Files.writeString(dataDir.resolve("log4j2.properties"), String.join("\n",
                "status = warn",
                "rootLogger.level = " + logLevel,
                "rootLogger.appenderRef.out.ref = OUT",
                "appender.out.type = Console",
                "appender.out.name = OUT",
                "appender.out.layout.type = PatternLayout",
                "appender.out.layout.pattern = [%d] %p %m (%c)%n",
                "logger.state.name = state.change.logger",
                "logger.state.level = WARN",
                ""));
    }

    private String logTail() {
        try (RandomAccessFile f = new RandomAccessFile(logFile().toFile(), "r")) {
            long from = Math.max(0, f.length() - 4096);
            byte[] b = new byte[(int) (f.length() - from)];
            f.seek(from);
            f.readFully(b);
            String[] lines = new String(b, StandardCharsets.UTF_8).split("\n");
            return "; last lines of " + logFile() + ":\n  "
                    + String.join("\n  ", List.of(lines).subList(Math.max(0, lines.length - 15), lines.length));
        } catch (IOException e) {
            return "; see " + logFile();
        }
    }

    private int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(host, 0));
            return s.getLocalPort();
        }
    }

    /**
     * The broker child JVM's class path: its jars, then the code source of {@link BrokerLauncher}. See the class
     * comment for where the jars are looked for.
     * @throws IOException naming a missing jar and the places searched
     */
    public static List<Path> runtimeClasspath() throws IOException {
        List<Path> out = new ArrayList<>();
        String lib = System.getProperty("tower.kafka.lib", System.getenv("TOWER_KAFKA_LIB"));
        if (lib != null && !lib.isBlank()) {
            try (Stream<Path> jars = Files.list(Path.of(lib))) {
                jars.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(out::add);
            }
            if (out.isEmpty()) {
                throw new IOException("no jars in " + lib + " (tower.kafka.lib / TOWER_KAFKA_LIB)");
            }
        } else {
            List<String> entries = new ArrayList<>();
            entries.addAll(resourceEntries("kafka-broker.provided.classpath"));
            entries.addAll(resourceEntries("kafka-broker.runtime.classpath"));
            Properties build = new Properties();
            try (InputStream in = KafkaBroker.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + "kafka-broker.properties")) {
                if (in != null) {
                    build.load(in);
                }
            }
            List<String> repos = new ArrayList<>();
            for (String r : new String[] {System.getProperty("tower.maven.repo"), System.getProperty("maven.repo.local"),
                    build.getProperty("maven.repo"), Path.of(System.getProperty("user.home"), ".m2", "repository").toString()}) {
                if (r != null && !r.isBlank() && !r.contains("${") && !repos.contains(r)) {
                    repos.add(r);
                }
            }
            String missing = null;
            for (String repo : repos) {
                List<Path> found = new ArrayList<>();
                missing = null;
                for (String e : entries) {
                    Path p = Path.of(e.startsWith(REPO_TOKEN) ? repo + e.substring(REPO_TOKEN.length()) : e);
                    if (!Files.isRegularFile(p)) {
                        missing = p.toString();
                        break;
                    }
                    found.add(p);
                }
                if (missing == null) {
                    out.addAll(found);
                    break;
                }
            }
            if (missing != null) {
                throw new IOException("cannot find the Kafka broker's jars (e.g. " + missing + ") in " + repos
                        + ": they are fetched when Tower is built with Maven on this machine; or set -Dtower.kafka.lib"
                        + " (or TOWER_KAFKA_LIB) to a directory holding them");
            }
        }
        try {
            out.add(Path.of(BrokerLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
        } catch (URISyntaxException | RuntimeException e) {
            throw new IOException("cannot locate Tower's own jar for the broker launcher", e);
        }
        return out;
    }

    private static List<String> resourceEntries(String name) throws IOException {
        try (InputStream in = KafkaBroker.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) {
                throw new IOException("missing resource " + RESOURCE_DIR + name + ": Tower's kafka-events jar was not"
                        + " built by its Maven build; set -Dtower.kafka.lib to a directory of the broker's jars");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            List<String> out = new ArrayList<>();
            for (String e : text.split("[" + java.io.File.pathSeparator + "\n]")) {
                if (!e.isBlank()) {
                    out.add(e.trim());
                }
            }
            return out;
        }
    }
}
