package dev.tower.manager;

import dev.tower.manager.core.Effect;
import dev.tower.manager.core.IdGenerator;
import dev.tower.manager.core.MasterCore;
import dev.tower.manager.events.EventBus;
import dev.tower.manager.http.AgentResource;
import dev.tower.manager.http.CallGateway;
import dev.tower.manager.http.ErrorMapper;
import dev.tower.manager.http.IgnoreUpgradeRequests;
import dev.tower.manager.http.OperatorResource;
import dev.tower.manager.http.SchedulerResource;
import dev.tower.manager.http.StreamCallHandler;
import dev.tower.manager.http.Streams;
import dev.tower.manager.registry.InMemoryRegistry;
import dev.tower.manager.registry.Registry;
import dev.tower.manager.runtime.CoreLoop;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpContainer;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpServerFactory;
import org.glassfish.jersey.server.ContainerFactory;
import org.glassfish.jersey.server.ResourceConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.InstantSource;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** A running master: the core loop, its streams, and the HTTP API. The one place that wires every part. */
public final class Master implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Master.class);

    private final MasterOptions options;
    private final CoreLoop loop;
    private final Streams streams;
    private final EventBus events = new EventBus();
    private final Registry registry = new InMemoryRegistry();
    private final ScheduledExecutorService heartbeats;
    private final HttpServer server;
    private final String masterId;

    private Master(MasterOptions options) {
        this.options = options;
        IdGenerator ids = IdGenerator.random();
        this.masterId = ids.next("master");
        MasterCore core = new MasterCore(options.core(), InstantSource.system(), ids);
        CoreLoop[] loopRef = new CoreLoop[1];
        this.streams = new Streams(command -> loopRef[0].submit(command));
        this.loop = new CoreLoop(core, this::carryOut);
        loopRef[0] = loop;
        CallGateway gateway = new CallGateway(loop, streams);
        ResourceConfig rc = new ResourceConfig()
                .register(new SchedulerResource(gateway))
                .register(new AgentResource(gateway))
                .register(new OperatorResource(gateway, masterId))
                .register(ErrorMapper.class);
        rc.property("jersey.config.server.wadl.disableWadl", true);
        URI uri = URI.create("http://" + options.bindHost() + ":" + options.port() + "/");
        GrizzlyHttpContainer jersey = ContainerFactory.createContainer(GrizzlyHttpContainer.class, rc);
        this.server = GrizzlyHttpServerFactory.createHttpServer(uri, false);
        server.getServerConfiguration().addHttpHandler(new StreamCallHandler(loop, jersey), "/");
        server.getListeners().forEach(l -> l.registerAddOn(new IgnoreUpgradeRequests()));
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tower-heartbeats");
            t.setDaemon(true);
            return t;
        });
    }

    public static Master start(MasterOptions options) {
        Master m = new Master(options);
        try {
            m.server.start();
        } catch (IOException e) {
            m.loop.close();
            throw new UncheckedIOException("cannot listen on " + options.bindHost() + ":" + options.port()
                    + ": " + e.getMessage(), e);
        }
        m.loop.start();
        long hb = options.core().heartbeatInterval().toMillis();
        m.heartbeats.scheduleAtFixedRate(m.streams::heartbeat, hb, hb, TimeUnit.MILLISECONDS);
        log.info("Tower master {} listening on http://{}:{}", m.masterId, options.advertisedHost(), m.port());
        return m;
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
        }
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

    @Override
    public void close() {
        heartbeats.shutdownNow();
        streams.close();
        server.shutdownNow();
        loop.close();
        events.close();
    }
}
