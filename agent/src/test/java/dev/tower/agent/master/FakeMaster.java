package dev.tower.agent.master;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tower.api.agent.AgentCall;
import dev.tower.api.agent.AgentEvent;
import dev.tower.api.codec.Json;
import dev.tower.api.model.TaskStatus;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A test double for the master's side of the agent protocol only: it answers SUBSCRIBE with an SSE stream, records
 * UPDATE and HEARTBEAT calls, and acknowledges updates when and how the test says.
 */
final class FakeMaster implements AutoCloseable {
    record Call(String streamId, AgentCall call) {
    }

    final HttpServer server;
    final ExecutorService executor = Executors.newCachedThreadPool();
    final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor();
    final List<AgentCall.Subscribe> subscriptions = new CopyOnWriteArrayList<>();
    final List<Call> calls = new CopyOnWriteArrayList<>();
    volatile String assignedId = "agent-1";
    volatile double heartbeatSeconds = 0.5;
    /** The leader epoch this master puts on SUBSCRIBED. */
    volatile long epoch;
    volatile boolean sendHeartbeats = true;
    /** Which updates to acknowledge when they arrive; the rest wait for {@link #ack}. */
    volatile Predicate<TaskStatus> autoAck = s -> true;
    /** When set, SUBSCRIBE is answered with this status (307 carries {@link #redirectTo}). */
    volatile int refuseWith;
    volatile String redirectTo;
    private HttpExchange stream;
    private String streamId;

    FakeMaster() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/api/v1/agent", this::handle);
        server.start();
        heartbeats.scheduleAtFixedRate(() -> {
            if (sendHeartbeats) {
                send(new AgentEvent.Heartbeat());
            }
        }, 100, 100, TimeUnit.MILLISECONDS);
    }

    String address() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        AgentCall call = Json.read(ex.getRequestBody().readAllBytes(), AgentCall.class);
        if (call instanceof AgentCall.Subscribe s) {
            subscriptions.add(s);
            if (refuseWith != 0) {
                if (refuseWith == 307) {
                    ex.getResponseHeaders().add("Location", redirectTo);
                }
                byte[] body = refuseWith == 400 ? "{\"error\":\"agent.resources: bad\"}".getBytes() : new byte[0];
                ex.sendResponseHeaders(refuseWith, body.length == 0 ? -1 : body.length);
                ex.getResponseBody().write(body);
                ex.close();
                return;
            }
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            String id = UUID.randomUUID().toString();
            synchronized (this) {
                dropStream();
                stream = ex;
                streamId = id;
            }
            send(new AgentEvent.Subscribed(s.agentId() != null ? s.agentId() : assignedId, id, heartbeatSeconds,
                    epoch));
            return;
        }
        calls.add(new Call(ex.getRequestHeaders().getFirst(MasterConnection.STREAM_ID_HEADER), call));
        ex.sendResponseHeaders(202, -1);
        ex.close();
        if (call instanceof AgentCall.Update u && autoAck.test(u.status())) {
            ack(u.status());
        }
    }

    synchronized void send(AgentEvent event) {
        if (stream == null) {
            return;
        }
        String frame = "event: " + Json.typeName(event) + "\ndata: " + Json.write(event) + "\n\n";
        try {
            OutputStream out = stream.getResponseBody();
            out.write(frame.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            dropStream();
        }
    }

    void ack(TaskStatus s) {
        send(new AgentEvent.Acknowledged(s.frameworkId(), s.taskId(), s.uuid()));
    }

    synchronized String streamId() {
        return streamId;
    }

    /** Ends the current event stream, as a master that restarts or loses leadership would. */
    synchronized void dropStream() {
        if (stream != null) {
            stream.close();
            stream = null;
        }
    }

    List<TaskStatus> updates() {
        return calls.stream().filter(c -> c.call() instanceof AgentCall.Update)
                .map(c -> ((AgentCall.Update) c.call()).status()).toList();
    }

    List<TaskStatus> updatesOf(String taskId) {
        return updates().stream().filter(s -> s.taskId().equals(taskId)).toList();
    }

    @Override
    public void close() {
        heartbeats.shutdownNow();
        dropStream();
        server.stop(0);
        executor.shutdownNow();
    }
}
