package dev.tower.agent;

import dev.tower.agent.containerizer.Containerizer;
import dev.tower.agent.containerizer.ContainerizerProvider;
import dev.tower.agent.containerizer.ProcessContainerizer;
import dev.tower.agent.fetcher.Fetcher;
import dev.tower.agent.http.AgentHttpServer;
import dev.tower.agent.http.AgentStateView;
import dev.tower.agent.isolation.Isolation;
import dev.tower.agent.isolation.TaskUsage;
import dev.tower.agent.master.AgentIdFile;
import dev.tower.agent.master.MasterConnection;
import dev.tower.agent.metrics.AgentMetrics;
import dev.tower.agent.metrics.AgentStatus;
import dev.tower.agent.resources.ResourceDetector;
import dev.tower.agent.sandbox.SandboxGc;
import dev.tower.agent.sandbox.Sandboxes;
import dev.tower.agent.security.TaskTokens;
import dev.tower.agent.status.StatusUpdates;
import dev.tower.agent.task.TaskSupervisor;
import dev.tower.agent.task.TaskView;
import dev.tower.api.agent.AgentCall;
import dev.tower.api.agent.AgentEvent;
import dev.tower.api.detect.MasterDetector;
import dev.tower.api.detect.MasterUrls;
import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running Tower agent: its HTTP API, its subscription to the master, and the tasks it runs. This is the only class
 * that knows every part; each part knows only what it is handed here.
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    /** The attribute listing the kinds of task an agent runs, e.g. {@code docker,process}. */
    public static final String CONTAINERIZERS = "containerizers";
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);
    /** Spawning is CPU-bound in the kernel: two per core measured fastest on a 2-core machine. */
    private static final int LAUNCH_THREADS = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());

    private final AgentConfig config;
    private final Resources resources;
    private final ScheduledExecutorService timer;
    private final ExecutorService fetchers;
    private final ExecutorService launcher;
    private final MasterDetector detector;
    private final List<Containerizer> containerizers;
    private final TaskSupervisor supervisor;
    private final StatusUpdates updates;
    private final MasterConnection connection;
    private final AgentHttpServer http;
    private final AgentMetrics metrics = new AgentMetrics(new Status());
    /** Where a task reaches its agent's API (with its {@link TaskTokens#ENV token}). */
    public static final String AGENT_ENDPOINT_ENV = "TOWER_AGENT_ENDPOINT";
    /** The same with its scheme ({@code https://} when the agent serves TLS). */
    public static final String AGENT_URL_ENV = "TOWER_AGENT_URL";

    private Agent(AgentConfig config) throws IOException {
        this.config = config;
        Path workDir = config.workDir();
        Files.createDirectories(workDir.resolve("meta"));
        this.resources = new ResourceDetector(workDir).resolve(config.resources());
        this.detector = MasterUrls.detector(config.masters());
        this.timer = Executors.newScheduledThreadPool(2, daemonThreads("agent-timer"));
        this.fetchers = Executors.newCachedThreadPool(daemonThreads("agent-fetch"));
        this.launcher = Executors.newFixedThreadPool(LAUNCH_THREADS, daemonThreads("agent-launch"));
        List<Containerizer> made = new ArrayList<>(); // closed if the agent cannot start
        try {
            Sandboxes sandboxes = new Sandboxes(workDir);
            SandboxGc gc = new SandboxGc(sandboxes, config.sandboxGcDelay(), timer, Clock.systemUTC());
            AgentIdFile idFile = new AgentIdFile(workDir);
            String initialId = idFile.read().orElse(null);
            // The supervisor needs the agent id, which the connection learns; the lambda reads it when a task runs.
            MasterConnection[] conn = new MasterConnection[1];
            this.containerizers = containerizers(new ContainerizerProvider.Context(config, timer,
                    () -> conn[0] == null ? initialId : conn[0].agentId().orElse(initialId)));
            made.addAll(containerizers);
            this.supervisor = new TaskSupervisor(sandboxes, gc, Fetcher.withDefaultClient(), containerizers, fetchers, launcher,
                    () -> conn[0] == null ? initialId : conn[0].agentId().orElse(null), config.hostname(),
                    Clock.systemUTC(), metrics);
            this.connection = new MasterConnection(detector,
                    MasterConnection.defaultHttpClient(config.security().asClient()), idFile,
                    id -> new AgentCall.Subscribe(info(id), supervisor.reports()),
                    new MasterConnection.Listener() {
                        @Override
                        public void subscribed(String agentId) {
                            metrics.subscribed();
                            updates().resendAll();
                        }

                        @Override
                        public void event(AgentEvent event) {
                            handle(event);
                        }
                    }, timer, MasterConnection.Timing.DEFAULT);
            conn[0] = connection;
            this.updates = new StatusUpdates(workDir.resolve("meta"), timer, connection, supervisor::settled,
                    config.statusRetry(), StatusUpdates.MAX_BACKOFF);
            supervisor.attach(updates);
            supervisor.recover(updates.recover());
            java.util.Set<String> known = supervisor.knownTasks();
            containerizers.forEach(c -> c.removeUnknown(known));
            gc.sweep(supervisor::usesSandbox);
            TaskTokens tokens = config.security().authenticates() ? TaskTokens.load(workDir) : null;
            AgentHttpServer[] server = new AgentHttpServer[1];
            supervisor.addToTaskEnvironment((frameworkId, taskId) -> {
                if (tokens == null) {
                    return Map.of();
                }
                String endpoint = config.hostname() + ":" + (server[0] == null ? config.port() : server[0].port());
                return Map.of(TaskTokens.ENV, tokens.issue(frameworkId, taskId), AGENT_ENDPOINT_ENV, endpoint,
                        AGENT_URL_ENV, (config.security().tls() != null ? "https://" : "http://") + endpoint);
            });
            this.http = AgentHttpServer.start(config.port(), sandboxes, this::state, metrics, config.security(), tokens);
            server[0] = http;
        } catch (IOException | RuntimeException e) {
            made.forEach(Containerizer::close);
            metrics.close();
            timer.shutdownNow();
            fetchers.shutdownNow();
            launcher.shutdownNow();
            detector.close();
            throw e;
        }
    }

    /**
     * Starts the HTTP server and the master connection and returns; the agent subscribes in the background and keeps
     * retrying until a master answers. Throws if the work dir or the port cannot be used.
     */
    public static Agent start(AgentConfig config) {
        Agent agent;
        try {
            agent = new Agent(config);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the agent in " + config.workDir() + ": " + e.getMessage(), e);
        }
        agent.connection.start();
        LOG.info("agent listening on port {}{} (work dir {}, resources {}, masters {})", agent.port(),
                config.security().tls() != null ? " (HTTPS)" : "", config.workDir(), agent.resources, config.masters());
        return agent;
    }

    public int port() {
        return http.port();
    }

    public Optional<String> agentId() {
        return connection.agentId();
    }

    /** Whether the agent currently holds a subscription with a master. */
    public boolean isSubscribed() {
        return connection.isSubscribed();
    }

    public Resources resources() {
        return resources;
    }

    public AgentConfig config() {
        return config;
    }

    public AgentStateView state() {
        return new AgentStateView(agentId().orElse(null), config.hostname(), port(), connection.isSubscribed(),
                resources, config.attributes(), supervisor.views());
    }

    /** Kills every task (SIGTERM, then SIGKILL after its grace period) and waits for them to end. */
    public void shutdownTasks() {
        supervisor.shutdownAll(SHUTDOWN_TIMEOUT);
    }

    /**
     * Stops the master connection and the HTTP server. Running tasks are left running, so that a restarted agent with
     * the same work dir finds them again; from now on this agent records nothing about them (as if it had died), and
     * tasks that end are reported by the next agent, from the exit status they record themselves.
     */
    @Override
    public void close() {
        supervisor.close();
        connection.close();
        http.close();
        updates.close();
        timer.shutdownNow();
        fetchers.shutdownNow();
        launcher.shutdownNow();
        detector.close();
        containerizers.forEach(Containerizer::close);
        metrics.close();
        LOG.info("agent {} stopped", agentId().orElse("(unregistered)"));
    }

    private StatusUpdates updates() {
        return updates;
    }

    /** What {@code /metrics} reads of this agent; only scraped once the agent has started. */
    private final class Status implements AgentStatus {
        @Override
        public List<TaskState> taskStates() {
            return supervisor.views().stream().map(TaskView::state).toList();
        }

        @Override
        public Resources capacity() {
            return resources;
        }

        @Override
        public Resources used() {
            return supervisor.used();
        }

        @Override
        public int unacknowledgedUpdates() {
            return updates.unacknowledgedCount();
        }

        @Override
        public List<String> containerizers() {
            return containerizers.stream().map(Containerizer::name).sorted().toList();
        }

        @Override
        public boolean connected() {
            return connection.isSubscribed();
        }

        @Override
        public TaskUsage tasksUsage() {
            return supervisor.views().stream().map(TaskView::usage).filter(java.util.Objects::nonNull)
                    .reduce(TaskUsage.NONE, TaskUsage::plus);
        }
    }

    /**
     * What the master and frameworks see of this agent. The attribute {@value #CONTAINERIZERS} lists the kinds of task
     * it runs ({@code process}, and {@code docker} when its engine answered), unless the operator set it.
     */
    private AgentInfo info(String id) {
        java.util.Map<String, String> attributes = new java.util.TreeMap<>(config.attributes());
        attributes.putIfAbsent(CONTAINERIZERS, String.join(",", containerizers.stream().map(Containerizer::name)
                .sorted().toList()));
        return new AgentInfo(id, config.hostname(), http == null ? config.port() : http.port(), resources, attributes);
    }

    /** The providers' containerizers whose engines answer (each says so, or why not, once), then the process one. */
    private static List<Containerizer> containerizers(ContainerizerProvider.Context context) {
        List<Containerizer> out = new ArrayList<>();
        for (ContainerizerProvider p : ServiceLoader.load(ContainerizerProvider.class)) {
            ContainerizerProvider.Result r;
            try {
                r = p.create(context);
            } catch (RuntimeException e) {
                r = ContainerizerProvider.Result.unavailable(e.toString());
            }
            if (r.isAvailable()) {
                LOG.info("{} tasks enabled: {}", p.name(), r.description());
                out.add(r.containerizer());
            } else {
                LOG.warn("{} tasks disabled on this agent: {}", p.name(), r.description());
            }
        }
        String taskUser = context.config().taskUser();
        LOG.info("process tasks run as {} unless a task or its framework names another user",
                taskUser == null ? "the agent's own user (" + System.getProperty("user.name") + ")" : "user " + taskUser);
        out.add(new ProcessContainerizer(context.timer(), System.getenv(),
                Isolation.select(context.config().isolation(), context.config().workDir(), context.timer()), taskUser));
        return List.copyOf(out);
    }

    private void handle(AgentEvent event) {
        if (event instanceof AgentEvent.RunTask run) {
            supervisor.run(run.frameworkId(), run.framework(), run.task());
        } else if (event instanceof AgentEvent.KillTask kill) {
            supervisor.kill(kill.frameworkId(), kill.taskId(), kill.gracePeriodSeconds());
        } else if (event instanceof AgentEvent.ShutdownFramework shutdown) {
            LOG.info("shutting down framework {}", shutdown.frameworkId());
            supervisor.shutdownFramework(shutdown.frameworkId());
        } else if (event instanceof AgentEvent.Acknowledged ack) {
            updates.acknowledge(ack.frameworkId(), ack.taskId(), ack.uuid());
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
