package dev.tower.api.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tower.api.codec.BadInputException;
import dev.tower.api.codec.Json;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.api.scheduler.SchedulerEvent;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A protocol test double of the master's scheduler endpoint: answers SUBSCRIBE with an SSE stream the test writes
 * events to, answers other calls 202 (or 400 when told to), records every request with its headers, and can play a
 * standby (503) or a master redirecting to the leader (307).
 */
final class FakeMaster implements AutoCloseable {
    /** One request as the master saw it. */
    record Received(String method, String path, String streamId, String body) {
        SchedulerCall call() {
            return Json.read(body, SchedulerCall.class);
        }
    }

    private record Canned(int status, String body, String location) {
    }

    private final HttpServer server;
    private final ExecutorService pool;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final BlockingQueue<Stream> newStreams = new LinkedBlockingQueue<>();
    private final List<Stream> streams = new CopyOnWriteArrayList<>();
    private final Map<String, String> rejections = new ConcurrentHashMap<>();
    private final Map<String, Canned> routes = new ConcurrentHashMap<>();
    private volatile Canned standby;

    private FakeMaster() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-master");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
    }

    static FakeMaster start() throws IOException {
        return new FakeMaster();
    }

    URI uri() {
        return URI.create("http://" + address());
    }

    String address() {
        return server.getAddress().getHostString() + ":" + server.getAddress().getPort();
    }

    /** Play a standby with no leader elected: every request gets 503. */
    void unavailable() {
        standby = new Canned(503, "{\"error\":\"no leading master elected yet\"}", null);
    }

    /** Play a standby that knows the leader: every request gets 307 to the same path on {@code leader}. */
    void redirectTo(FakeMaster leader) {
        standby = new Canned(307, "{\"error\":\"not the leader\"}", leader.uri() + SchedulerClient.PATH);
    }

    /** Calls of this type ({@code DECLINE}, ...) get 400 with this error. */
    void reject(String callType, String error) {
        rejections.put(callType, error);
    }

    /** Any request to {@code path} other than the scheduler endpoint gets this reply. */
    void route(String path, int status, String body) {
        routes.put(path, new Canned(status, body, null));
    }

    /** The next subscription's stream, waiting up to 5 s for the client to open it. */
    Stream awaitStream() throws InterruptedException {
        Stream s = newStreams.poll(5, TimeUnit.SECONDS);
        if (s == null) {
            throw new AssertionError("no SUBSCRIBE within 5 s; requests so far: " + received);
        }
        return s;
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    /** Calls of one type, in arrival order, with their Tower-Stream-Id header. */
    List<Received> received(Class<? extends SchedulerCall> type) {
        return received.stream()
                .filter(r -> r.path().equals(SchedulerClient.PATH) && type.isInstance(r.call()))
                .toList();
    }

    int subscriptions() {
        return received(SchedulerCall.Subscribe.class).size();
    }

    private void handle(HttpExchange ex) throws IOException {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String path = ex.getRequestURI().getPath();
        received.add(new Received(ex.getRequestMethod(), path,
                ex.getRequestHeaders().getFirst(SchedulerClient.STREAM_ID_HEADER), body));
        Canned s = standby;
        if (s != null) {
            reply(ex, s);
            return;
        }
        if (!path.equals(SchedulerClient.PATH)) {
            reply(ex, routes.getOrDefault(path, new Canned(404, "{\"error\":\"no route " + path + "\"}", null)));
            return;
        }
        SchedulerCall call;
        try {
            call = Json.read(body, SchedulerCall.class);
        } catch (BadInputException e) {
            reply(ex, new Canned(400, Json.write(Map.of("error", e.getMessage())), null));
            return;
        }
        if (call instanceof SchedulerCall.Subscribe subscribe) {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            Stream stream = new Stream(subscribe, ex);
            streams.add(stream);
            newStreams.add(stream);
            return; // the exchange stays open: the test writes the events
        }
        String error = rejections.get(Json.typeName(call));
        if (error != null) {
            reply(ex, new Canned(400, Json.write(Map.of("error", error)), null));
            return;
        }
        ex.sendResponseHeaders(202, -1);
        ex.close();
        if (call instanceof SchedulerCall.Teardown t) {
            // as the master does: the framework is removed, its stream told why and ended
            for (Stream stream : streams) {
                stream.send(new SchedulerEvent.Error("framework " + t.frameworkId() + " was torn down"));
                stream.end();
            }
        }
    }

    private static void reply(HttpExchange ex, Canned c) throws IOException {
        byte[] bytes = c.body().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        if (c.location() != null) {
            ex.getResponseHeaders().set("Location", c.location());
        }
        ex.sendResponseHeaders(c.status(), bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        streams.forEach(Stream::end);
        server.stop(0);
        pool.shutdownNow();
    }

    /** One subscriber's open event stream. */
    static final class Stream {
        private final SchedulerCall.Subscribe subscribe;
        private final HttpExchange exchange;
        private boolean open = true;

        Stream(SchedulerCall.Subscribe subscribe, HttpExchange exchange) {
            this.subscribe = subscribe;
            this.exchange = exchange;
        }

        /** The SUBSCRIBE call that opened this stream. */
        SchedulerCall.Subscribe subscribe() {
            return subscribe;
        }

        void subscribed(String frameworkId, String streamId, double heartbeatIntervalSeconds) {
            send(new SchedulerEvent.Subscribed(frameworkId, streamId, heartbeatIntervalSeconds));
        }

        /** SUBSCRIBED from a master elected at {@code epoch}. */
        void subscribed(String frameworkId, String streamId, double heartbeatIntervalSeconds, long epoch) {
            send(new SchedulerEvent.Subscribed(frameworkId, streamId, heartbeatIntervalSeconds, epoch));
        }

        /** Writes one event; a client that went away just ends the stream. */
        synchronized void send(SchedulerEvent event) {
            if (!open) {
                return;
            }
            String chunk = "event: " + Json.typeName(event) + "\ndata: " + Json.write(event) + "\n\n";
            try {
                OutputStream out = exchange.getResponseBody();
                out.write(chunk.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                end();
            }
        }

        synchronized void end() {
            if (open) {
                open = false;
                exchange.close();
            }
        }
    }
}
