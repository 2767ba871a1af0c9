package dev.tower.it;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tower.api.codec.Json;
import dev.tower.api.operator.AgentView;
import dev.tower.api.operator.TaskView;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real Tower cluster made of separate JVMs (one master, any number of agents) started from the CLI's runnable jar,
 * plus helpers to run {@code tower} CLI commands against it and to read the master's HTTP API.
 * Every process it starts, and every descendant of those (tasks), is killed by {@link #close()}.
 */
public final class Cluster implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();
    /** Clusters not yet closed, so {@link LogsOnFailure} can print their logs. */
    static final java.util.Set<Cluster> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();
    static final Path LOG_DIR = Path.of("target", "it-logs").toAbsolutePath();

    private final String name;
    private final Path workDir;
    private final List<TowerProcess> processes = new CopyOnWriteArrayList<>();
    /** Task processes of agents killed during a test: orphaned, so no longer descendants of anything we hold. */
    private final List<ProcessHandle> orphans = new CopyOnWriteArrayList<>();
    /** The command line of each agent started, by name, to restart it the same. */
    private final java.util.Map<String, List<String>> agentArgs = new java.util.concurrent.ConcurrentHashMap<>();
    /** HTTP/1.1 like the SchedulerClient; DefaultHttpClientTest covers the JDK default (HTTP/2, offering h2c). */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private TowerProcess master;
    private int masterPort;
    private List<String> masterArgs;

    private Cluster(String name) {
        this.name = name + "-" + SEQ.incrementAndGet();
        try {
            Files.createDirectories(LOG_DIR);
            this.workDir = Files.createTempDirectory("tower-it-" + this.name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LIVE.add(this);
    }

    /** Starts a master and {@code agents} agents (4 cpus, 4096 MB each) and waits until all agents are registered. */
    public static Cluster start(String name, int agents, String unreachableTimeout) {
        return start(name, agents, unreachableTimeout, List.of());
    }

    /** As {@link #start(String, int, String)}, the master started with {@code masterArgs} too. */
    public static Cluster start(String name, int agents, String unreachableTimeout, List<String> masterArgs) {
        Cluster c = new Cluster(name);
        try {
            c.masterPort = freePort();
            List<String> args = new ArrayList<>(List.of("master", "--port", String.valueOf(c.masterPort),
                    "--bind", "127.0.0.1", "--work-dir", c.workDir.resolve("master").toString(),
                    "--agent-unreachable-timeout", unreachableTimeout));
            args.addAll(masterArgs);
            c.masterArgs = List.copyOf(args);
            c.startMaster("master");
            for (int i = 0; i < agents; i++) {
                c.startAgent("cpus:4;mem:4096");
            }
            c.awaitActiveAgents(agents);
            return c;
        } catch (RuntimeException | Error e) {
            c.printLogTails();
            c.close();
            throw e;
        }
    }

    /** No processes yet: for clusters that start their own (several masters, say) with {@link #tower}. */
    static Cluster bare(String name) {
        return new Cluster(name);
    }

    Path workDir() {
        return workDir;
    }

    public String master() {
        return "127.0.0.1:" + masterPort;
    }

    public URI uri(String path) {
        return URI.create("http://" + master() + path);
    }

    private void startMaster(String role) {
        master = spawn(role, masterArgs);
        await("master /health on port " + masterPort).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> {
                    assertThat(master.process().isAlive()).as("master process alive").isTrue();
                    return get("/health").statusCode() == 200;
                });
    }

    /** The master process (the last one started). */
    public TowerProcess masterProcess() {
        return master;
    }

    /** Kills the master JVM at once (SIGKILL), as a crash would: nothing of its shutdown runs. */
    public void killMaster() {
        master.process().destroyForcibly();
        try {
            master.process().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts the master again after {@link #killMaster}, with the same port, work dir and flags; waits for /health. */
    public TowerProcess restartMaster() {
        if (master.process().isAlive()) {
            throw new IllegalStateException("the master is still running");
        }
        startMaster("restarted-master");
        return master;
    }

    public TowerProcess startAgent(String resources) {
        return startAgent(resources, master());
    }

    /** An agent following {@code masterUrl} (a {@code zk://} URL, say) rather than this cluster's one master. */
    public TowerProcess startAgent(String resources, String masterUrl) {
        return startAgent(resources, masterUrl, List.of());
    }

    /** An agent started with {@code extraArgs} too ({@code --docker-allow-volume ...}, say). */
    public TowerProcess startAgent(String resources, String masterUrl, List<String> extraArgs) {
        int port = freePort();
        int n = (int) processes.stream().filter(p -> p.name().startsWith("agent")).count() + 1;
        List<String> args = new ArrayList<>(List.of("agent", "--master", masterUrl, "--port", String.valueOf(port),
                "--resources", resources, "--work-dir", workDir.resolve("agent" + n).toString()));
        if (!extraArgs.contains("--task-user") && "root".equals(System.getProperty("user.name"))) {
            // Tasks as the tests' own user, not as tower agent's default nobody for a root agent: the work dirs are
            // private temporary directories, and the files the tests hand to tasks are root's.
            args.addAll(List.of("--task-user", "root"));
        }
        args.addAll(extraArgs);
        agentArgs.put("agent" + n, args);
        return spawn("agent" + n, args);
    }

    /**
     * Starts an agent again, after {@link #killForcibly}, with the same work dir, port and resources, as an operator
     * restarting it would. The new process is named {@code restarted-} and the agent's name.
     */
    public TowerProcess restartAgent(TowerProcess killed) {
        List<String> args = agentArgs.get(killed.name());
        if (args == null || killed.process().isAlive()) {
            throw new IllegalArgumentException(killed.name() + " is not an agent that was killed");
        }
        agentArgs.put("restarted-" + killed.name(), args);
        return spawn("restarted-" + killed.name(), args);
    }

    /** The HTTP port an agent started by this cluster listens on (the same after a restart). */
    public int agentPort(TowerProcess agent) {
        String name = agent.name().replaceFirst("^(restarted-)+", "");
        List<String> args = agentArgs.get(name);
        return Integer.parseInt(args.get(args.indexOf("--port") + 1));
    }

    public List<AgentView> agents() {
        return Json.mapper().convertValue(readTree(getOk("/api/v1/agents")), new TypeReference<>() { });
    }

    public List<TaskView> tasks() {
        return Json.mapper().convertValue(readTree(getOk("/api/v1/tasks?completed=1000")), new TypeReference<>() { });
    }

    public void awaitActiveAgents(int n) {
        await("" + n + " active agents").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions()
                .until(() -> agents().stream().filter(a -> "ACTIVE".equals(a.state())).count() == n);
    }

    /** Kills an agent JVM at once (SIGKILL); its task processes are remembered and killed by {@link #close()}. */
    public void killForcibly(TowerProcess p) {
        orphans.addAll(p.process().descendants().toList());
        p.process().destroyForcibly();
        try {
            p.process().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public TowerProcess process(String name) {
        return processes.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    // ---- HTTP ----

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).GET().build());
    }

    public String getOk(String path) {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
        return r.body();
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpClient httpClient() {
        return http;
    }

    static com.fasterxml.jackson.databind.JsonNode readTree(String body) {
        try {
            return Json.mapper().readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- the CLI ----

    /** What a finished {@code tower} command printed and returned. */
    public record CliResult(int exitCode, String stdout, String stderr) {
    }

    /** Runs {@code tower ARGS} (with {@code -m MASTER} where the caller put it) and waits for it to exit. */
    public CliResult cli(Duration timeout, String... args) {
        TowerProcess p = spawn("cli-" + args[0], List.of(args));
        try {
            if (!p.process().waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroy();
                throw new AssertionError("tower " + String.join(" ", args) + " did not exit within " + timeout
                        + "\n" + p.tail(40));
            }
            return new CliResult(p.process().exitValue(), Files.readString(p.stdout()), Files.readString(p.stderr()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            processes.remove(p);
        }
    }

    /** Starts {@code tower ARGS} without waiting; it is killed by {@link #close()} if still running. */
    public TowerProcess cliAsync(String... args) {
        return spawn("cli-" + args[0], List.of(args));
    }

    // ---- processes ----

    /** Starts any command (a {@code spark-submit}, say) as part of the cluster: logged, and killed by {@link #close()}. */
    public TowerProcess spawnCommand(String role, List<String> command, java.util.Map<String, String> env) {
        return launch(role, command, e -> e.putAll(env));
    }

    private TowerProcess launch(String role, List<String> command,
                                java.util.function.Consumer<java.util.Map<String, String>> env) {
        String id = name + "-" + role + "-" + SEQ.incrementAndGet();
        Path out = LOG_DIR.resolve(id + ".out");
        Path err = LOG_DIR.resolve(id + ".err");
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        env.accept(pb.environment());
        try {
            TowerProcess p = new TowerProcess(role, pb.start(), out, err);
            processes.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts {@code tower ARGS} as {@code role}; killed by {@link #close()}. */
    TowerProcess tower(String role, List<String> towerArgs) {
        return spawn(role, towerArgs);
    }

    private TowerProcess spawn(String role, List<String> towerArgs) {
        Path root = projectRoot();
        Path jar = root.resolve("cli/target/tower-cli.jar");
        Path lib = root.resolve("cli/target/lib");
        if (!Files.isRegularFile(jar) || !Files.isDirectory(lib)) {
            throw new IllegalStateException("missing " + jar + " or " + lib
                    + ": build the CLI first (mvn -DskipTests install -pl api,manager,agent,cli)");
        }
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(javaBin, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", jar + java.io.File.pathSeparator + lib + "/*", "dev.tower.cli.TowerCli"));
        cmd.addAll(towerArgs);
        return launch(role, cmd, e -> e.remove("TOWER_MASTER"));
    }

    static Path projectRoot() {
        Path module = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        return module.getFileName().toString().equals("integration-tests") ? module.getParent() : module;
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void printLogTails() {
        for (TowerProcess p : processes) {
            System.err.println("==== " + p.name() + " (" + p.stdout().getFileName() + ", alive=" + p.process().isAlive()
                    + ") ====\n" + p.tail(60));
        }
    }

    /** Kills agents (and their tasks) first, then the master, then anything left; waits for them to die. */
    @Override
    public void close() {
        List<ProcessHandle> all = new ArrayList<>(orphans);
        for (TowerProcess p : processes) {
            all.addAll(p.process().descendants().toList());
        }
        for (TowerProcess p : processes) {
            all.add(p.process().toHandle());
        }
        for (ProcessHandle h : all) {
            h.destroyForcibly();
        }
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("process " + h.pid() + " did not exit: " + e);
            }
        }
        processes.clear();
        orphans.clear();
        LIVE.remove(this);
        deleteQuietly(workDir);
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }
}
