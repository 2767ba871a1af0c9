package dev.tower.manager.http;

import dev.tower.api.codec.Json;
import dev.tower.api.events.ClusterEventView;
import dev.tower.api.events.EventFilter;
import dev.tower.api.events.EventStreamControl;
import dev.tower.manager.core.ClusterEvent;
import dev.tower.manager.events.EventSink;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The open {@code GET /api/v1/events} streams: an {@link EventSink} on the master's event bus that hands each event
 * to the streams whose filter it matches. Handing over is all the bus's thread does: each stream has a bounded queue
 * and its own writer thread, so a slow consumer (or one whose socket is full) holds up nobody else. A stream whose
 * queue overflows is dropped: it is told why (an {@code ERROR}) and closed, and if its writer is stuck on the socket
 * its connection is cut {@link #DEFAULT_STUCK_GRACE} later. Streams end, with an {@code ERROR} saying why, when this
 * master stops leading, so that consumers reconnect and find the new leader.
 */
public final class EventStreams implements EventSink {
    private static final Logger log = LoggerFactory.getLogger(EventStreams.class);
    /** Events a stream may fall behind before it is dropped. */
    public static final int DEFAULT_QUEUE_LIMIT = 10_000;
    /** Streams open at once; more are answered 429 (each stream has a thread). */
    public static final int DEFAULT_MAX_STREAMS = 64;
    /** How long a dropped stream's writer may take to say why before its connection is cut. */
    public static final Duration DEFAULT_STUCK_GRACE = Duration.ofSeconds(5);
    private static final Object HEARTBEAT = new EventStreamControl.Heartbeat();

    private final int queueLimit;
    private final int maxStreams;
    private final long stuckGraceNanos;
    private final Map<Long, Stream> open = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    public EventStreams() {
        this(DEFAULT_QUEUE_LIMIT, DEFAULT_MAX_STREAMS, DEFAULT_STUCK_GRACE);
    }

    public EventStreams(int queueLimit, int maxStreams, Duration stuckGrace) {
        this.queueLimit = queueLimit;
        this.maxStreams = maxStreams;
        this.stuckGraceNanos = stuckGrace.toNanos();
    }

    /** Something the writer writes, then ends the stream. */
    private record Ending(String reason) {
    }

    /**
     * Starts a stream: {@code subscribed} first, then every matching event published from now on.
     *
     * @param cut severs the connection at once, for a writer stuck on a consumer that does not read
     * @return false if there are {@link #DEFAULT_MAX_STREAMS} streams already (nothing was started)
     */
    public boolean open(EventFilter filter, EventStreamControl.Subscribed subscribed, SseEventSink sink, Sse sse,
                        Runnable cut) {
        return open(filter, subscribed, sink, sse, cut, null);
    }

    /** As {@link #open(EventFilter, EventStreamControl.Subscribed, SseEventSink, Sse, Runnable)}, for {@code owner}. */
    public synchronized boolean open(EventFilter filter, EventStreamControl.Subscribed subscribed, SseEventSink sink,
                                     Sse sse, Runnable cut, String owner) {
        if (open.size() >= maxStreams) {
            return false;
        }
        long id = ids.incrementAndGet();
        // Room for SUBSCRIBED and the closing ERROR beyond the events a consumer may fall behind.
        Stream s = new Stream(id, filter, sink, sse, cut, new ArrayBlockingQueue<>(queueLimit + 2));
        s.owner = owner;
        s.queue.add(subscribed);
        open.put(id, s);
        Thread writer = new Thread(() -> write(s), "tower-events-stream-" + id);
        writer.setDaemon(true);
        writer.start();
        log.debug("events stream {} opened (types {}, subject {})", id, filter.types(), filter.subject());
        return true;
    }

    public int count() {
        return open.size();
    }

    /** The streams {@code owner} (a principal) holds open. */
    public int countOf(String owner) {
        int n = 0;
        for (Stream s : open.values()) {
            if (owner.equals(s.owner)) {
                n++;
            }
        }
        return n;
    }

    /** On the bus's thread: only hands the event over. */
    @Override
    public void publish(ClusterEvent event) {
        for (Stream s : open.values()) {
            if (s.ending || !s.filter.matches(event.type(), event.subject())) {
                continue;
            }
            if (s.queue.size() >= queueLimit) {
                end(s, "this events stream fell " + queueLimit + " events behind (the consumer reads too slowly) and"
                        + " is closed; reconnect to go on from the newest events (Kafka keeps every event)", true);
            } else {
                s.queue.offer(event);
            }
        }
    }

    /** A HEARTBEAT on every stream (skipped on one whose queue is full); cuts streams stuck since they were dropped. */
    public void heartbeat() {
        long now = System.nanoTime();
        for (Stream s : open.values()) {
            if (!s.ending && s.queue.size() < queueLimit) {
                s.queue.offer(HEARTBEAT);
            } else if (now - s.endedAt >= stuckGraceNanos && open.remove(s.id) != null) {
                log.info("events stream {} did not close within {} ms of ending; cutting its connection", s.id,
                        TimeUnit.NANOSECONDS.toMillis(stuckGraceNanos));
                cut(s);
            }
        }
    }

    /** Ends every stream once it has sent what is queued, telling each {@code reason}. */
    public void closeAll(String reason) {
        for (Stream s : open.values()) {
            end(s, reason, false);
        }
    }

    /**
     * Waits until every stream has ended (told its consumer why and closed), at most {@code timeout}: a master that
     * shuts down lets them say goodbye before its server stops.
     */
    public boolean awaitEnded(java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!open.isEmpty()) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    @Override
    public void close() {
        closeAll("the master is shutting down; reconnect to reach the leading master");
    }

    /** @param discard drop what is queued (a consumer too far behind), rather than send it first */
    private void end(Stream s, String reason, boolean discard) {
        synchronized (s) {
            if (s.ending) {
                return;
            }
            s.endedAt = System.nanoTime();
            s.ending = true;
            if (discard) {
                s.queue.clear();
            }
            Ending ending = new Ending(reason);
            if (!s.queue.offer(ending)) {
                s.queue.clear();
                s.queue.offer(ending);
            }
        }
        log.info("events stream {} ends: {}", s.id, reason);
    }

    private void write(Stream s) {
        try {
            while (true) {
                Object item = s.queue.take();
                if (item instanceof Ending e) {
                    send(s, control(s, new EventStreamControl.Error(e.reason())));
                    break;
                }
                OutboundSseEvent out = item instanceof ClusterEvent event ? event(s, event)
                        : control(s, (EventStreamControl) item);
                if (!send(s, out)) {
                    log.debug("events stream {}: the consumer is gone", s.id);
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("events stream {} failed: {}", s.id, e.toString());
        } finally {
            open.remove(s.id);
            s.ending = true;
            s.queue.clear();
            try {
                s.sink.close();
            } catch (RuntimeException ignored) {
                // gone already
            }
        }
    }

    private static OutboundSseEvent event(Stream s, ClusterEvent e) {
        ClusterEventView view = dev.tower.manager.events.RecentEvents.view(e);
        return s.sse.newEventBuilder()
                .id(e.id())
                .name(e.type())
                .mediaType(MediaType.TEXT_PLAIN_TYPE)
                .data(String.class, Json.write(view))
                .build();
    }

    private static OutboundSseEvent control(Stream s, EventStreamControl c) {
        return s.sse.newEventBuilder()
                .name(Json.typeName(c))
                .mediaType(MediaType.TEXT_PLAIN_TYPE)
                .data(String.class, Json.write(c))
                .build();
    }

    private static boolean send(Stream s, OutboundSseEvent out) {
        if (s.sink.isClosed()) {
            return false;
        }
        try {
            return !s.sink.send(out).toCompletableFuture().isCompletedExceptionally();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void cut(Stream s) {
        try {
            s.cut.run();
        } catch (RuntimeException e) {
            log.debug("cutting events stream {}: {}", s.id, e.toString());
        }
    }

    private static final class Stream {
        /** The principal that opened it; null when the master does not authenticate. */
        volatile String owner;
        final long id;
        final EventFilter filter;
        final SseEventSink sink;
        final Sse sse;
        final Runnable cut;
        final BlockingQueue<Object> queue;
        volatile boolean ending;
        volatile long endedAt;

        Stream(long id, EventFilter filter, SseEventSink sink, Sse sse, Runnable cut, BlockingQueue<Object> queue) {
            this.id = id;
            this.filter = filter;
            this.sink = sink;
            this.sse = sse;
            this.cut = cut;
            this.queue = queue;
        }
    }
}
