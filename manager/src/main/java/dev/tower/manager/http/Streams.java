package dev.tower.manager.http;

import dev.tower.api.agent.AgentEvent;
import dev.tower.api.codec.Json;
import dev.tower.api.scheduler.SchedulerEvent;
import dev.tower.manager.core.Command;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The open SSE streams of agents and frameworks. Sending only enqueues (the core thread must never wait on a
 * socket); a small pool of writer threads drains each stream's queue in order. A write that fails means the peer is
 * gone: the stream is dropped and the core is told, which is how the master notices a lost agent or framework
 * (heartbeats make sure there is something to write).
 */
public final class Streams implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Streams.class);

    /** Observers of the cluster's events have their own streams, with bounded queues: {@link EventStreams}. */
    public enum Kind { AGENT, FRAMEWORK }

    private final Map<String, Stream> open = new ConcurrentHashMap<>();
    private final ExecutorService writers;
    private final Consumer<Command> commands;

    public Streams(Consumer<Command> commands) {
        this.commands = commands;
        AtomicInteger n = new AtomicInteger();
        this.writers = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "tower-stream-writer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Registers a new stream and returns its id, which is also the Tower-Stream-Id its peer sends back. */
    public String open(Kind kind, SseEventSink sink, Sse sse) {
        String id = UUID.randomUUID().toString();
        open.put(id, new Stream(id, kind, sink, sse));
        return id;
    }

    /** Forgets a stream that never became active (its subscription was rejected), without telling the core. */
    public void discard(String id) {
        open.remove(id);
    }

    public void send(String id, Object event) {
        Stream s = open.get(id);
        if (s != null) {
            s.subscribed = true;
            s.outbox.add(event);
            schedule(s);
        }
    }

    /** Closes a stream the core no longer uses; the core is not told (it asked). */
    public void close(String id) {
        Stream s = open.get(id);
        if (s != null) {
            s.closeRequested = true;
            schedule(s);
        }
    }

    /**
     * A HEARTBEAT on every stream, except agent and framework streams the core has not answered yet: their first event
     * must be SUBSCRIBED (clients ignore anything before it).
     */
    public void heartbeat() {
        for (Stream s : open.values()) {
            if (!s.subscribed) {
                continue;
            }
            s.outbox.add(s.kind == Kind.AGENT ? new AgentEvent.Heartbeat() : new SchedulerEvent.Heartbeat());
            schedule(s);
        }
    }

    public int count(Kind kind) {
        return (int) open.values().stream().filter(s -> s.kind == kind).count();
    }

    private void schedule(Stream s) {
        if (s.draining.compareAndSet(false, true)) {
            try {
                writers.execute(() -> drain(s));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                s.draining.set(false);
            }
        }
    }

    private void drain(Stream s) {
        try {
            Object event;
            while ((event = s.outbox.poll()) != null) {
                if (!write(s, event)) {
                    lost(s);
                    return;
                }
            }
            if (s.closeRequested) {
                open.remove(s.id);
                closeQuietly(s);
                return;
            }
        } finally {
            s.draining.set(false);
        }
        if (!s.outbox.isEmpty() || s.closeRequested) {
            schedule(s);
        }
    }

    private boolean write(Stream s, Object event) {
        if (s.sink.isClosed()) {
            return false;
        }
        try {
            OutboundSseEvent out = s.sse.newEventBuilder()
                    .name(Json.typeName(event))
                    .mediaType(MediaType.TEXT_PLAIN_TYPE)
                    .data(String.class, Json.write(event))
                    .build();
            var stage = s.sink.send(out).toCompletableFuture();
            return !stage.isCompletedExceptionally();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void lost(Stream s) {
        if (open.remove(s.id) == null) {
            return;
        }
        s.outbox.clear();
        closeQuietly(s);
        log.debug("{} stream {} lost", s.kind, s.id);
        switch (s.kind) {
            case AGENT -> commands.accept(new Command.AgentStreamClosed(s.id));
            case FRAMEWORK -> commands.accept(new Command.FrameworkStreamClosed(s.id));
        }
    }

    private static void closeQuietly(Stream s) {
        try {
            s.sink.close();
        } catch (RuntimeException ignored) {
            // already gone
        }
    }

    @Override
    public void close() {
        for (Stream s : open.values()) {
            closeQuietly(s);
        }
        open.clear();
        writers.shutdownNow();
    }

    private static final class Stream {
        final String id;
        final Kind kind;
        final SseEventSink sink;
        final Sse sse;
        final Queue<Object> outbox = new ConcurrentLinkedQueue<>();
        final AtomicBoolean draining = new AtomicBoolean();
        volatile boolean closeRequested;
        /** The core has sent on it (SUBSCRIBED comes first). */
        volatile boolean subscribed;

        Stream(String id, Kind kind, SseEventSink sink, Sse sse) {
            this.id = id;
            this.kind = kind;
            this.sink = sink;
            this.sse = sse;
        }
    }
}
