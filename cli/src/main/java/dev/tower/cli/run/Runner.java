package dev.tower.cli.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.client.MasterHttp;
import dev.tower.api.client.SchedulerClient;
import dev.tower.api.codec.Json;
import dev.tower.api.detect.MasterDetector;
import dev.tower.api.detect.MasterUrls;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.ContainerInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;

import java.io.IOException;
import java.net.URI;
import dev.tower.api.security.ClientSecurity;
import dev.tower.api.client.CallRejectedException;
import java.nio.charset.StandardCharsets;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs {@code tower run}: subscribes a one-shot framework, streams each task's output, explains any wait for
 * resources, and turns the tasks' ends into an exit code.
 */
public final class Runner {
    private static final long POLL_MILLIS = 100;
    private static final long EXPLAIN_AFTER_MILLIS = 2000;

    private final String masterUrl;
    private final String role;
    private final String name;
    private final int instances;
    private final Resources perTask;
    private final CommandInfo command;
    private final ContainerInfo container;
    private final boolean quiet;
    private final ClientSecurity security;
    /** Reads the tasks' output from their agents, with the user's credential. */
    private final HttpClient http;
    private final ExecutorService tails = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tower-run-output");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Future<?>> tailing = new ConcurrentHashMap<>();
    private final Map<String, AtomicBoolean> ended = new ConcurrentHashMap<>();

    public Runner(String masterUrl, String role, String name, int instances, double cpus, double mem,
                  List<String> argv, Map<String, String> env, ContainerInfo container, boolean quiet,
                  ClientSecurity security) {
        this.masterUrl = masterUrl;
        this.security = security;
        this.http = security.client(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)));
        this.role = role;
        this.name = name;
        this.instances = instances;
        this.perTask = Resources.cpusMem(cpus, mem);
        // A container task without a command runs its image's; it still gets the environment.
        CommandInfo c = argv.isEmpty() ? new CommandInfo(true, null, List.of(), Map.of(), List.of(), null, null)
                : argv.size() == 1 ? CommandInfo.shell(argv.get(0)) : CommandInfo.argv(argv);
        this.command = c.withEnvironment(env);
        this.container = container;
        this.quiet = quiet;
    }

    public int run() throws InterruptedException {
        MasterDetector detector = MasterUrls.detector(masterUrl);
        MasterHttp master = new MasterHttp(detector, security);
        OneShotFramework[] frameworkRef = new OneShotFramework[1];
        OneShotFramework framework = new OneShotFramework(name, instances, perTask, command, container,
                status -> startTail(master, status, frameworkRef[0].published(status.taskId())));
        frameworkRef[0] = framework;
        FrameworkInfo info = new FrameworkInfo(null, "tower-run " + name, role, null,
                System.getProperty("user.name"), null, 0.0, List.of());
        SchedulerClient client = SchedulerClient.builder(detector, info, framework).security(security).build();
        Thread hook = new Thread(() -> {
            if (framework.done().getCount() > 0) {
                client.teardown();
            }
        }, "tower-run-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            client.start();
            if (!client.awaitSubscribed(Duration.ofSeconds(30))) {
                throw new IllegalStateException("could not subscribe to the master at " + masterUrl
                        + (framework.error() != null ? ": " + framework.error() : ""));
            }
            waitExplaining(framework, client, master);
            if (framework.error() != null) {
                System.err.println("tower: " + framework.error());
                return 1;
            }
            for (TaskStatus s : framework.results()) {
                ended.computeIfAbsent(s.taskId(), k -> new AtomicBoolean()).set(true);
            }
            for (Future<?> f : tailing.values()) {
                try {
                    f.get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // output is best effort; the exit code is not
                }
            }
            return exitCode(framework.results());
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
            try {
                client.teardown().get(5, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // a failover timeout of 0 removes the framework when its stream closes anyway
            }
            client.close();
            tails.shutdownNow();
        }
    }

    /** While tasks wait for resources, says why (once per change of reason). */
    private void waitExplaining(OneShotFramework framework, SchedulerClient client, MasterHttp master)
            throws InterruptedException {
        long start = System.currentTimeMillis();
        String said = null;
        while (!framework.done().await(500, TimeUnit.MILLISECONDS)) {
            if (quiet || framework.allLaunched() || System.currentTimeMillis() - start < EXPLAIN_AFTER_MILLIS) {
                continue;
            }
            String why = explain(framework, client, master);
            if (why != null && !why.equals(said)) {
                System.err.println("tower: waiting for resources: " + why);
                said = why;
            }
        }
    }

    private static String explain(OneShotFramework framework, SchedulerClient client, MasterHttp master) {
        if (framework.tooSmall() != null) {
            return framework.tooSmall();
        }
        String id = client.frameworkId().orElse(null);
        if (id == null) {
            return null;
        }
        try {
            JsonNode view = Json.mapper().readTree(master.get("/api/v1/whynot?framework=" + id));
            StringBuilder sb = new StringBuilder();
            for (JsonNode e : view.path("agents")) {
                sb.append(sb.isEmpty() ? "" : "; ").append("agent ").append(e.path("agentId").asText())
                        .append(": ").append(e.path("reason").asText());
            }
            return sb.isEmpty() ? "no agents are registered" : sb.toString();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private void startTail(MasterHttp master, TaskStatus running, String published) {
        String taskId = running.taskId();
        if (published != null && !quiet && !tailing.containsKey(taskId)) {
            System.err.println("tower: task " + taskId + " runs; " + published);
        }
        tailing.computeIfAbsent(taskId, id -> tails.submit(() -> {
            TaskOutput.Files files;
            if (security.credential() != null) {
                // Agents of a cluster that authenticates answer the master and operators; users read through the
                // master, which checks their view_sandboxes permission.
                files = query -> {
                    try {
                        return master.get("/api/v1/agents/" + URLEncoder.encode(running.agentId(), StandardCharsets.UTF_8)
                                + "/files/read?" + query);
                    } catch (CallRejectedException e) {
                        return null;
                    }
                };
            } else {
                URI agent = agentAddress(master, running.agentId());
                if (agent == null) {
                    return null;
                }
                files = TaskOutput.Files.ofAgent(http, agent);
            }
            String prefix = instances == 1 ? "" : "[" + taskId + "] ";
            TaskOutput out = new TaskOutput(files, running.frameworkId(), taskId, prefix);
            AtomicBoolean over = ended.computeIfAbsent(taskId, k -> new AtomicBoolean());
            while (!over.get()) {
                if (!out.poll(System.out, System.err)) {
                    Thread.sleep(POLL_MILLIS);
                }
            }
            out.drain(System.out, System.err);
            return null;
        }));
    }

    private static URI agentAddress(MasterHttp master, String agentId) {
        try {
            for (JsonNode a : Json.mapper().readTree(master.get("/api/v1/agents"))) {
                if (a.path("id").asText().equals(agentId)) {
                    return URI.create("http://" + a.path("hostname").asText() + ":" + a.path("port").asInt());
                }
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("tower: cannot find agent " + agentId + " to read output: " + e.getMessage());
        }
        return null;
    }

    /** One task: its own exit code. Several: 0 if all succeeded, else the first failure's. */
    static int exitCode(List<TaskStatus> results) {
        for (TaskStatus s : results) {
            if (s == null) {
                return 1;
            }
            if (s.state() == TaskState.FINISHED) {
                continue;
            }
            System.err.println("tower: task " + s.taskId() + " " + s.state()
                    + (s.reason() != null ? ": " + s.reason() : "")
                    + (s.message() != null ? " (" + s.message() + ")" : ""));
            if (s.exitCode() != null && s.exitCode() != 0) {
                return s.exitCode();
            }
            return s.state() == TaskState.KILLED ? 137 : 1;
        }
        return 0;
    }
}
