package dev.tower.manager;

import dev.tower.api.detect.LeaderInfo;
import dev.tower.api.events.EventSinkView;
import dev.tower.manager.core.Census;
import dev.tower.manager.core.ClusterEvent;
import dev.tower.manager.core.ClusterEvents;
import dev.tower.manager.core.Command;
import dev.tower.manager.core.Effect;
import dev.tower.manager.core.IdGenerator;
import dev.tower.manager.core.MasterCore;
import dev.tower.manager.core.RegistrySnapshot;
import dev.tower.manager.dispatch.DriverDispatcher;
import dev.tower.manager.events.EventBus;
import dev.tower.manager.events.RecentEvents;
import dev.tower.manager.ha.ZooKeeperLeadership;
import dev.tower.manager.ha.ZooKeeperRegistry;
import dev.tower.manager.http.AgentFilesProxy;
import dev.tower.manager.http.AgentResource;
import dev.tower.manager.http.Authorizer;
import dev.tower.manager.security.MasterSecurity;
import dev.tower.manager.security.RateLimiter;
import dev.tower.manager.http.CallAudit;
import dev.tower.manager.http.CallGateway;
import dev.tower.manager.http.ErrorMapper;
import dev.tower.manager.http.EventStreams;
import dev.tower.manager.http.EventsResource;
import dev.tower.manager.http.HealthView;
import dev.tower.manager.http.IgnoreUpgradeRequests;
import dev.tower.manager.http.LeaderRouting;
import dev.tower.manager.http.OperatorResource;
import dev.tower.manager.http.SchedulerResource;
import dev.tower.manager.http.StreamCallHandler;
import dev.tower.manager.http.Streams;
import dev.tower.manager.http.SubmissionsResource;
import dev.tower.manager.metrics.MasterMetrics;
import dev.tower.manager.metrics.MasterStatus;
import dev.tower.manager.metrics.MetricsResource;
import dev.tower.manager.registry.InMemoryRegistry;
import dev.tower.manager.registry.Registry;
import dev.tower.manager.runtime.CoreLoop;
import dev.tower.manager.ui.ResourceHistory;
import dev.tower.manager.ui.WebUi;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.ssl.SSLEngineConfigurator;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpContainer;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpServerFactory;
import org.glassfish.jersey.server.ContainerFactory;
import org.glassfish.jersey.server.ResourceConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A running master: the HTTP API, and — while it leads — the core loop, its streams and its registry. The one place
 * that wires every part.
 * <p>
 * Without ZooKeeper ({@link MasterOptions#zooKeeper()} null) it leads at once, with epoch 0, until closed. With
 * ZooKeeper it starts as a standby and contends for leadership ({@link ZooKeeperLeadership}). Each time it is
 * elected it loads the registry into a fresh {@link MasterCore} ({@link MasterCore#recover}) and serves; when it
 * loses the leadership it stops at once (no more offers, every stream closed), drops that core and is a standby
 * again, contending. A standby answers {@code /health} itself and every other request with a {@code 307} to the
 * leader (or {@code 503} while none is elected). Several masters can live in one JVM.
 */
public final class Master implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Master.class);
    /** How long a master that shuts down while leading waits for its last registry writes. */
    private static final long FLUSH_ON_CLOSE_SECONDS = 2;
    private static final java.time.Duration HISTORY_WINDOW = java.time.Duration.ofHours(1);
    private static final java.time.Duration HISTORY_INTERVAL = java.time.Duration.ofSeconds(5);

    private final MasterOptions options;
    private final String masterId;
    private final EventBus events;
    /** The open {@code GET /api/v1/events} streams, fed by the bus; they end whenever this master stops leading. */
    private final EventStreams eventStreams = new EventStreams();
    private final CallGateway gateway = new CallGateway();
    /** The last events, for clients that show what just happened (the web UI's events page). */
    private final RecentEvents recentEvents = new RecentEvents(EventsResource.MAX_RECENT);
    private final MasterMetrics metrics;
    private final ScheduledExecutorService heartbeats;
    private final HttpServer server;
    /** Total and allocated resources over the last hour, for the web UI's charts. */
    private final ResourceHistory history = new ResourceHistory(HISTORY_WINDOW, HISTORY_INTERVAL);
    /** Reads agents' sandboxes for the web UI ({@link AgentFilesProxy}). */
    private final HttpClient filesClient;
    private volatile ZooKeeperLeadership election;
    private volatile Term term;
    private volatile boolean closed;

    /** One stretch of leadership: the core and everything that lives exactly as long as it. */
    private final class Term implements MasterStatus.LeadingTerm {
        final long epoch;
        final Registry registry;
        final Streams streams;
        final CoreLoop loop;
        /** Runs the drivers submitted in cluster mode; started once the term serves. */
        volatile DriverDispatcher dispatcher;

        Term(MasterCore core, Registry registry) {
            this.epoch = core.epoch();
            this.registry = registry;
            CoreLoop[] loopRef = new CoreLoop[1];
            this.streams = new Streams(command -> loopRef[0].submit(command));
            this.loop = new CoreLoop(core, this::carryOut, metrics.coreObserver());
            loopRef[0] = loop;
        }

        private void carryOut(Effect effect) {
            if (effect instanceof Effect.ToFramework e) {
                streams.send(e.connectionId(), e.event());
            } else if (effect instanceof Effect.ToAgent e) {
                streams.send(e.connectionId(), e.event());
            } else if (effect instanceof Effect.CloseStream e) {
                streams.close(e.connectionId());
            } else if (effect instanceof Effect.Publish e) {
                events.publish(e.event());
            } else if (effect instanceof Effect.Persist e) {
                registry.apply(e.change());
            } else if (effect instanceof Effect.DriversChanged) {
                DriverDispatcher d = dispatcher;
                if (d != null) {
                    d.wake();
                }
            }
        }

        @Override
        public long epoch() {
            return epoch;
        }

        @Override
        public int frameworkStreams() {
            return streams.count(Streams.Kind.FRAMEWORK);
        }

        @Override
        public int agentStreams() {
            return streams.count(Streams.Kind.AGENT);
        }

        @Override
        public int queuedCommands() {
            return loop.queued();
        }

        @Override
        public CompletableFuture<Census> census() {
            return loop.submit(new Command.Query(core -> core.reader().census()))
                    .thenApply(reply -> (Census) reply.body());
        }

        /** Stops handling commands (so no more offers), closes every stream, and the registry. */
        void stop(boolean flushRegistry) {
            DriverDispatcher d = dispatcher;
            if (d != null) {
                d.close();
            }
            loop.close();
            streams.close();
            if (registry instanceof ZooKeeperRegistry z) {
                if (flushRegistry) {
                    try {
                        z.flush().get(FLUSH_ON_CLOSE_SECONDS, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        log.warn("registry writes not finished on shutdown: {}", e.toString());
                    }
                }
                z.close();
            }
        }
    }

    private Master(MasterOptions options) {
        this.options = options;
        this.masterId = IdGenerator.random().next("master");
        this.events = new EventBus(masterId);
        events.add(eventStreams);
        events.add(recentEvents);
        this.metrics = new MasterMetrics(new Status());
        events.add(metrics.eventSink());
        CallAudit audit = new CallAudit(events, InstantSource.system());
        MasterSecurity security = options.security();
        this.filesClient = security.asClient().client(HttpClient.newBuilder()
                .connectTimeout(java.time.Duration.ofSeconds(5)));
        Authorizer authorizer = new Authorizer(security.acls(), gateway);
        ResourceConfig rc = new ResourceConfig()
                .register(new SchedulerResource(gateway, audit, authorizer, security.authenticates()))
                .register(new AgentResource(gateway, audit, authorizer))
                .register(new SubmissionsResource(gateway, options.drivers().sparkHome(), audit, authorizer))
                .register(new OperatorResource(gateway, masterId, this::health, audit, history::samples, authorizer))
                .register(new AgentFilesProxy(gateway, filesClient, authorizer))
                .register(new EventsResource(eventStreams, masterId, this::address, this::epoch,
                        options.core().heartbeatInterval().toMillis() / 1000.0, recentEvents))
                .register(ErrorMapper.class);
        rc.property("jersey.config.server.wadl.disableWadl", true);
        rc.register(new MetricsResource(metrics));
        URI uri = URI.create("http://" + options.bindHost() + ":" + options.port() + "/");
        GrizzlyHttpContainer jersey = ContainerFactory.createContainer(GrizzlyHttpContainer.class, rc);
        this.server = GrizzlyHttpServerFactory.createHttpServer(uri, false);
        server.getServerConfiguration().addHttpHandler(new StreamCallHandler(gateway, new Routing(), jersey, audit, new WebUi(),
                security.principals(), authorizer, security.schedulerRateLimit() > 0
                        ? RateLimiter.perSecond(security.schedulerRateLimit()) : null),
                "/");
        server.getListeners().forEach(l -> l.registerAddOn(new IgnoreUpgradeRequests()));
        if (options.security().tls() != null) { // HTTPS only: no plain listener beside it
            server.getListeners().forEach(l -> {
                l.setSecure(true);
                l.setSSLEngineConfig(new SSLEngineConfigurator(options.security().tls(), false, false, false));
            });
        }
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tower-heartbeats");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts a master: listens, then leads at once (no ZooKeeper) or joins the election. Returns quickly even when
     * ZooKeeper cannot be reached: the master then stays a standby and keeps trying ({@code /health} says why).
     */
    public static Master start(MasterOptions options) {
        return start(options, m -> { });
    }

    /**
     * As {@link #start(MasterOptions)}, calling {@code beforeLeading} once the master listens (its {@link #address()}
     * is known) and before it leads or joins the election: event sinks added there see every event of the process,
     * {@code master.elected} and a recovering core's first events included. A failure there stops the master.
     */
    public static Master start(MasterOptions options, java.util.function.Consumer<Master> beforeLeading) {
        Master m = new Master(options);
        try {
            m.server.start();
        } catch (IOException e) {
            m.heartbeats.shutdownNow();
            m.metrics.close();
            throw new UncheckedIOException("cannot listen on " + options.bindHost() + ":" + options.port()
                    + ": " + e.getMessage(), e);
        }
        try {
            beforeLeading.accept(m);
        } catch (RuntimeException | Error e) {
            m.close();
            throw e;
        }
        long hb = options.core().heartbeatInterval().toMillis();
        m.heartbeats.scheduleAtFixedRate(m::heartbeat, hb, hb, TimeUnit.MILLISECONDS);
        m.heartbeats.scheduleAtFixedRate(m::sampleResources, 0, HISTORY_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        if (options.zooKeeper() == null) {
            m.serve(new MasterCore(options.core(), InstantSource.system(), IdGenerator.random()),
                    new InMemoryRegistry(), "master " + m.masterId + " at " + m.address() + " leads (no ZooKeeper)", 0, 0);
            log.info("Tower master {} listening on {}://{}", m.masterId, options.security().scheme(), m.address());
        } else {
            m.election = new ZooKeeperLeadership(options.zooKeeper(), options.zooKeeperSessionTimeout(), m.masterId,
                    m.address(), m.new Elections());
            m.election.start();
            log.info("Tower master {} listening on {}://{} as a standby; electing the leader through {}",
                    m.masterId, options.security().scheme(), m.address(), options.zooKeeper());
        }
        return m;
    }

    /** Starts a term; {@code master.elected} is published before the core runs, so before anything it publishes. */
    private synchronized void serve(MasterCore core, Registry registry, String summary, int registryAgents,
                                    int registryFrameworks) {
        stopServing("a new term begins", false); // never two cores at once (there is none here normally)
        Term t = new Term(core, registry);
        // Before the core runs: a recovered core's first effects may already ask the dispatcher to act.
        t.dispatcher = new DriverDispatcher(options.drivers(), t.loop::submit, address(), sparkMasterUrl());
        events.publish(new ClusterEvent(ClusterEvents.MASTER_ELECTED, masterId, summary, new ClusterEvents.MasterElected(
                masterId, address(), core.epoch(), registryAgents, registryFrameworks), System.currentTimeMillis()));
        t.loop.start();
        term = t;
        gateway.attach(t.loop, t.streams);
    }

    /** What drivers run in cluster mode are given as {@code --master}: all masters through ZooKeeper, or this one. */
    private String sparkMasterUrl() {
        return "spark+tower://" + (options.zooKeeper() != null ? options.zooKeeper().toString() : address());
    }

    private synchronized void stopServing(String why, boolean graceful) {
        Term t = term;
        if (t == null) {
            return;
        }
        // Callers are sent to the leader from now on; then the core stops and every stream closes.
        term = null;
        gateway.detach();
        t.stop(graceful);
        events.publish(new ClusterEvent(ClusterEvents.MASTER_DEPOSED, masterId, "master " + masterId
                + " stopped leading (epoch " + t.epoch + "): " + why,
                new ClusterEvents.MasterDeposed(masterId, address(), t.epoch, why), System.currentTimeMillis()));
        eventStreams.closeAll("master " + address() + " stopped leading (" + why
                + "); reconnect to reach the leading master");
    }

    private final class Elections implements ZooKeeperLeadership.Listener {
        @Override
        public void elected(long epoch, ZooKeeperRegistry registry) {
            if (closed) {
                throw new IllegalStateException("the master is shutting down");
            }
            RegistrySnapshot snapshot = registry.load();
            MasterCore core = MasterCore.recover(options.core(), InstantSource.system(), IdGenerator.random(),
                    snapshot, epoch);
            serve(core, registry, "master " + masterId + " at " + address()
                    + " elected with epoch " + epoch + "; from the registry: " + snapshot.agents().size()
                    + " agents (they have " + options.core().agentReregisterTimeout().toMillis() / 1000.0
                    + " s to re-subscribe), " + snapshot.frameworks().size() + " frameworks",
                    snapshot.agents().size(), snapshot.frameworks().size());
        }

        @Override
        public void deposed(String why) {
            stopServing(why, closed);
        }
    }

    /** What {@code /metrics} reads of this master. */
    private final class Status implements MasterStatus {
        @Override
        public Optional<LeadingTerm> term() {
            return Optional.ofNullable(term);
        }

        @Override
        public int eventStreams() {
            return eventStreams.count();
        }

        @Override
        public List<EventSinkView> eventSinks() {
            return events.sinkViews();
        }
    }

    private final class Routing implements LeaderRouting {
        @Override
        public boolean serving() {
            return term != null;
        }

        @Override
        public String leaderAddress() {
            return otherLeader().map(LeaderInfo::address).orElse(null);
        }
    }

    /** The leader published in ZooKeeper, unless it is this master (stale, as it just stopped leading). */
    private Optional<LeaderInfo> otherLeader() {
        ZooKeeperLeadership e = election;
        return e == null ? Optional.empty() : e.leader().filter(l -> !masterId.equals(l.masterId()));
    }

    private void heartbeat() {
        Term t = term;
        if (t != null) {
            t.streams.heartbeat();
        }
        eventStreams.heartbeat();
    }

    /** One point of the resource history, read through the core like any query; nothing while not leading. */
    private void sampleResources() {
        if (term == null) {
            return;
        }
        gateway.submit(new dev.tower.manager.core.Command.Query(core -> core.reader().sample())).thenAccept(reply -> {
            if (!reply.isError() && reply.body() instanceof dev.tower.api.operator.ResourceSample s) {
                history.add(s);
            }
        });
    }

    HealthView health() {
        ZooKeeperLeadership e = election;
        Term t = term;
        String zk = e == null ? null : e.connectionState();
        if (t != null) {
            return new HealthView("ok", "leader", t.epoch, address(), masterId, zk, null, events.sinkViews(),
                    e == null ? List.of() : e.masters());
        }
        Optional<LeaderInfo> leader = otherLeader();
        return new HealthView("ok", "standby", leader.map(LeaderInfo::epoch).orElse(null),
                leader.map(LeaderInfo::address).orElse(null), masterId, zk,
                e == null ? "not started" : e.standbyReason(), events.sinkViews(), e == null ? List.of() : e.masters());
    }

    /** Whether this master leads now (serves the API). */
    public boolean isLeader() {
        return term != null;
    }

    /** This master's epoch while it leads (0 without ZooKeeper), else -1. */
    public long epoch() {
        Term t = term;
        return t == null ? -1 : t.epoch;
    }

    /** {@code host:port} of the leading master: this one's while it leads, else the one published in ZooKeeper. */
    public Optional<String> leaderAddress() {
        return isLeader() ? Optional.of(address()) : otherLeader().map(LeaderInfo::address);
    }

    public int port() {
        NetworkListener l = server.getListeners().iterator().next();
        return l.getPort();
    }

    public String address() {
        return options.advertisedHost() + ":" + port();
    }

    public EventBus events() {
        return events;
    }

    public String masterId() {
        return masterId;
    }

    /** For tests: this master's part in the election (null without ZooKeeper). */
    ZooKeeperLeadership election() {
        return election;
    }

    /**
     * Stops: a leader stops serving (waiting briefly for its last registry writes) and leaves the election, so that
     * another master takes over at once; then the HTTP server stops.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ZooKeeperLeadership e = election;
        if (e != null) {
            e.close();
        }
        stopServing("the master is shutting down", true);
        try {
            eventStreams.awaitEnded(java.time.Duration.ofSeconds(1)); // they say why before the server stops
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        heartbeats.shutdownNow();
        server.shutdownNow();
        events.close();
        metrics.close();
    }
}
