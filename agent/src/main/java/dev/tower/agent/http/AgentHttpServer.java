package dev.tower.agent.http;

import dev.tower.agent.metrics.AgentMetrics;
import dev.tower.agent.metrics.MetricsResource;
import dev.tower.agent.sandbox.Sandboxes;
import dev.tower.agent.security.AgentSecurity;
import dev.tower.agent.security.TaskTokens;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.ssl.SSLEngineConfigurator;
import org.glassfish.jersey.internal.inject.AbstractBinder;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpServerFactory;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.server.ServerProperties;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;

/**
 * The agent's HTTP API on {@code 0.0.0.0:port} (HTTPS only, with the agent's certificate, when given one):
 * {@code /files}, {@code /health}, {@code /api/v1/state}, {@code /metrics}.
 */
public final class AgentHttpServer implements AutoCloseable {
    private final HttpServer server;
    private final int port;

    private AgentHttpServer(HttpServer server, int port) {
        this.server = server;
        this.port = port;
    }

    /** Binds and starts, plain HTTP; port 0 picks a free port, see {@link #port()}. */
    public static AgentHttpServer start(int port, Sandboxes sandboxes, AgentStateSource state, AgentMetrics metrics) {
        return start(port, sandboxes, state, metrics, AgentSecurity.OFF, null);
    }

    /**
     * @param security who may call (when it authenticates callers) and, with its TLS context, HTTPS only
     * @param tokens the tasks' tokens, accepted when {@code security} authenticates callers
     */
    public static AgentHttpServer start(int port, Sandboxes sandboxes, AgentStateSource state, AgentMetrics metrics,
                                        AgentSecurity security, TaskTokens tokens) {
        ResourceConfig rc = new ResourceConfig()
                .register(FilesResource.class)
                .register(StateResource.class)
                .register(new MetricsResource(metrics))
                .register(new AbstractBinder() {
                    @Override
                    protected void configure() {
                        bind(sandboxes).to(Sandboxes.class);
                        bind(state).to(AgentStateSource.class);
                    }
                })
                .register(JsonErrors.class)
                .property(ServerProperties.WADL_FEATURE_DISABLE, true);
        if (security.authenticates()) {
            rc.register(new AgentAuthentication(security.principals(), tokens));
        }
        HttpServer server = GrizzlyHttpServerFactory.createHttpServer(URI.create("http://0.0.0.0:" + port + "/"), rc, false);
        server.getListeners().forEach(l -> l.registerAddOn(new IgnoreUpgradeRequests()));
        SSLContext tls = security.tls();
        if (tls != null) { // HTTPS only: no plain listener beside it
            server.getListeners().forEach(l -> {
                l.setSecure(true);
                l.setSSLEngineConfig(new SSLEngineConfigurator(tls, false, false, false));
            });
        }
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on port " + port + ": " + e.getMessage(), e);
        }
        int bound = server.getListeners().iterator().next().getPort();
        return new AgentHttpServer(server, bound);
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
