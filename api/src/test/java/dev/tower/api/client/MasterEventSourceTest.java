package dev.tower.api.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tower.api.codec.Json;
import dev.tower.api.detect.StaticMasterDetector;
import dev.tower.api.events.ClusterEventView;
import dev.tower.api.events.EventFilter;
import dev.tower.api.events.EventSource;
import dev.tower.api.events.EventStreamControl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The events source against a hand-written master: what it reconnects after, and what it gives up on. */
class MasterEventSourceTest {
    private HttpServer server;
    private final AtomicInteger connections = new AtomicInteger();
    private final List<String> queries = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** A master whose events endpoint runs {@code handler} for each connection (on its own thread). */
    private MasterEventSource source(Consumer<HttpExchange> handler) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-events-master");
            t.setDaemon(true);
            return t;
        }));
        server.createContext(MasterEventSource.PATH, ex -> {
            connections.incrementAndGet();
            queries.add(ex.getRequestURI().getRawQuery());
            handler.accept(ex);
        });
        server.start();
        URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        return new MasterEventSource(new StaticMasterDetector(List.of(uri)),
                LeadingMaster.defaultHttpClient(Duration.ofSeconds(5)), Duration.ofSeconds(5));
    }

    private static void send(HttpExchange ex, String name, Object data) {
        try {
            OutputStream out = ex.getResponseBody();
            out.write(("event: " + name + "\ndata: " + Json.write(data) + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException gone) {
            // the client left
        }
    }

    private static void reply(HttpExchange ex, int status, String error) {
        try {
            byte[] body = Json.write(Map.of("error", error)).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        } catch (IOException ignored) {
            // the client left
        }
    }

    private static ClusterEventView event(String id) {
        return new ClusterEventView(id, "task.status", "fw/t", "2026-01-01T00:00:00.000Z", "task fw/t RUNNING", Map.of());
    }

    @Test
    void aMasterThatFallsSilentIsLeftAfterThreeHeartbeatsAndTheStreamReopened() throws Exception {
        MasterEventSource source = source(ex -> {
            try {
                ex.getResponseHeaders().set("Content-Type", "text/event-stream");
                ex.sendResponseHeaders(200, 0);
            } catch (IOException e) {
                return;
            }
            int n = connections.get();
            send(ex, "SUBSCRIBED", new EventStreamControl.Subscribed("m", "h:" + n, n, 0.1, List.of("task"), null));
            send(ex, "task.status", event("e-" + n));
            // then nothing at all, no heartbeat, the connection left open: a master that hangs
        });
        List<String> ids = new CopyOnWriteArrayList<>();
        List<String> notices = new CopyOnWriteArrayList<>();
        long start = System.nanoTime();
        source.follow(EventFilter.of(List.of("task"), null), new EventSource.Listener() {
            @Override
            public void event(ClusterEventView e) {
                ids.add(e.id());
                if (ids.size() == 2) {
                    source.close();
                }
            }

            @Override
            public void notice(String message) {
                notices.add(message);
            }
        });

        assertThat(ids).containsExactly("e-1", "e-2");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(queries).first().isEqualTo("type=task");
        assertThat(notices).first().isEqualTo("following the events of master h:1 (epoch 1)");
        assertThat(notices).anySatisfy(n -> assertThat(n).contains("was lost").contains("reconnecting"));
    }

    @Test
    void aBadFilterOrAMasterWithoutTheStreamIsAnErrorNotARetry() throws Exception {
        MasterEventSource badFilter = source(ex -> reply(ex, 400, "type: 'x y' is not an event type"));
        assertThatThrownBy(() -> badFilter.follow(EventFilter.ALL, e -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not an event type");
        stop();

        MasterEventSource old = source(ex -> reply(ex, 404, "no such endpoint: /api/v1/events"));
        assertThatThrownBy(() -> old.follow(EventFilter.ALL, e -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("older than GET /api/v1/events");
    }
}
