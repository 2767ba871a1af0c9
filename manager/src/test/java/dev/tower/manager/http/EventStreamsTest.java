package dev.tower.manager.http;

import dev.tower.api.events.EventFilter;
import dev.tower.api.events.EventStreamControl;
import dev.tower.manager.core.ClusterEvent;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseBroadcaster;
import jakarta.ws.rs.sse.SseEventSink;
import org.glassfish.jersey.media.sse.OutboundEvent;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A consumer that does not keep up holds up neither the bus nor other consumers; it is dropped, and told why. */
class EventStreamsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final EventStreamControl.Subscribed HELLO =
            new EventStreamControl.Subscribed("m", "h:1", 0, 5, List.of(), null);

    private static final Sse SSE = new Sse() {
        @Override
        public OutboundSseEvent.Builder newEventBuilder() {
            return new OutboundEvent.Builder();
        }

        @Override
        public SseBroadcaster newBroadcaster() {
            throw new UnsupportedOperationException();
        }
    };

    /** A sink whose writes block once {@code blockAfter} events went out, until {@link #release()} (a full socket). */
    static final class Sink implements SseEventSink {
        final List<OutboundSseEvent> sent = new CopyOnWriteArrayList<>();
        final CountDownLatch released = new CountDownLatch(1);
        final int blockAfter;
        volatile boolean closed;
        volatile boolean broken;
        /** A write is blocked: the consumer does not read. */
        volatile boolean blocked;

        Sink(int blockAfter) {
            this.blockAfter = blockAfter;
        }

        void release() {
            released.countDown();
        }

        /** The connection is cut: a blocked write fails. */
        void cut() {
            broken = true;
            released.countDown();
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public CompletionStage<?> send(OutboundSseEvent event) {
            if (sent.size() >= blockAfter) {
                blocked = true;
                try {
                    released.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (broken) {
                return CompletableFuture.failedFuture(new java.io.IOException("connection cut"));
            }
            sent.add(event);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {
            closed = true;
        }

        List<String> names() {
            return sent.stream().map(OutboundSseEvent::getName).toList();
        }
    }

    private static ClusterEvent event(long n) {
        return new ClusterEvent("e-" + n, "task.status", "fw/t" + n, "event " + n, Map.of("n", n), n);
    }

    @Test
    void aConsumerThatFallsBehindIsDroppedWithAReasonAndNobodyWaits() {
        EventStreams streams = new EventStreams(50, 8, Duration.ofMinutes(1));
        Sink slow = new Sink(2); // SUBSCRIBED and one event, then its socket is full
        Sink fast = new Sink(Integer.MAX_VALUE);
        streams.open(EventFilter.ALL, HELLO, slow, SSE, slow::cut);
        streams.open(EventFilter.ALL, HELLO, fast, SSE, fast::cut);

        streams.publish(event(1));
        await().atMost(WAIT).until(() -> slow.sent.size() == 2);
        long publishing = 0;
        for (long n = 2; n <= 1000; n++) {
            long start = System.nanoTime();
            streams.publish(event(n));
            publishing += System.nanoTime() - start;
            if (n % 20 == 0) { // in bursts the fast consumer keeps up with
                long expected = n + 1;
                await().atMost(WAIT).pollInterval(Duration.ofMillis(2)).until(() -> fast.sent.size() == expected);
            }
        }
        assertThat(Duration.ofNanos(publishing)).isLessThan(Duration.ofSeconds(1));
        await().atMost(WAIT).until(() -> fast.sent.size() == 1001);
        assertThat(streams.count()).isEqualTo(2); // the slow one's writer is still stuck on its socket
        slow.release(); // the consumer reads again: it is told why, and the stream ends
        await().atMost(WAIT).until(() -> slow.closed);
        // What was queued is dropped (the event its writer held may still go out), then why.
        assertThat(slow.names()).startsWith("SUBSCRIBED", "task.status").endsWith("ERROR").hasSizeLessThanOrEqualTo(4);
        assertThat(slow.sent.get(1).getId()).isEqualTo("e-1");
        assertThat((String) slow.sent.get(slow.sent.size() - 1).getData()).contains("fell 50 events behind");
        await().atMost(WAIT).until(() -> streams.count() == 1);
        assertThat(fast.closed).isFalse();
    }

    @Test
    void aConsumerStuckAfterBeingDroppedHasItsConnectionCut() {
        EventStreams streams = new EventStreams(5, 8, Duration.ZERO);
        Sink stuck = new Sink(1);
        AtomicBoolean cut = new AtomicBoolean();
        streams.open(EventFilter.ALL, HELLO, stuck, SSE, () -> {
            cut.set(true);
            stuck.cut();
        });
        streams.publish(event(1));
        await().atMost(WAIT).until(() -> stuck.blocked); // else the writer may still deliver the ERROR and close
        for (long n = 2; n <= 20; n++) {
            streams.publish(event(n));
        }
        streams.heartbeat(); // the grace is over at once

        assertThat(cut).isTrue();
        await().atMost(WAIT).until(() -> stuck.closed);
        assertThat(streams.count()).isZero();
    }

    @Test
    void eachStreamGetsOnlyWhatItsFilterMatchesAndHeartbeats() {
        EventStreams streams = new EventStreams(100, 8, Duration.ofMinutes(1));
        Sink tasks = new Sink(Integer.MAX_VALUE);
        streams.open(EventFilter.of(List.of("task"), "fw"), HELLO, tasks, SSE, () -> { });
        streams.publish(new ClusterEvent("1", "task.status", "fw/t1", "s", Map.of(), 1));
        streams.publish(new ClusterEvent("2", "task.status", "fw2/t1", "s", Map.of(), 2));
        streams.publish(new ClusterEvent("3", "agent.added", "fw", "s", Map.of(), 3));
        streams.heartbeat();

        await().atMost(WAIT).until(() -> tasks.sent.size() == 3);
        assertThat(tasks.names()).containsExactly("SUBSCRIBED", "task.status", "HEARTBEAT");
    }

    @Test
    void tooManyStreamsAreRefused() throws Exception {
        EventStreams streams = new EventStreams(10, 1, Duration.ofMinutes(1));
        assertThat(streams.open(EventFilter.ALL, HELLO, new Sink(100), SSE, () -> { })).isTrue();
        assertThat(streams.open(EventFilter.ALL, HELLO, new Sink(100), SSE, () -> { })).isFalse();
        streams.closeAll("bye");
        assertThat(streams.awaitEnded(WAIT)).isTrue();
        assertThat(streams.open(EventFilter.ALL, HELLO, new Sink(100), SSE, () -> { })).isTrue();
        streams.close();
    }
}
