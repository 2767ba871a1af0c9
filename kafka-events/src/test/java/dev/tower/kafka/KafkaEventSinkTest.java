package dev.tower.kafka;

import dev.tower.manager.core.ClusterEvent;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@link KafkaEventSink} against a real broker (one child JVM for the class). */
@Tag("kafka")
class KafkaEventSinkTest {
    /** Nothing listens there: a Kafka that is down. */
    static final String NO_KAFKA = "127.0.0.1:1";

    @TempDir
    static Path dir;
    static KafkaBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = KafkaBroker.builder(dir.resolve("kafka")).start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    /** Tower's defaults, with topics of the test's own. */
    static KafkaEventsConfig config(String bootstrap, Path outbox, String topicPrefix) {
        return KafkaEventsConfig.defaults(bootstrap, outbox)
                .withSource("tower://test")
                .withTopics(topicPrefix + ".events", topicPrefix + ".audit")
                .withCloseTimeout(Duration.ofSeconds(10));
    }

    private static List<ClusterEvent> events(String run, int from, int to) {
        List<ClusterEvent> out = new ArrayList<>();
        for (int n = from; n < to; n++) {
            out.add(KafkaTestSupport.event(run, n, 100));
        }
        return out;
    }

    private static Set<String> ids(List<ClusterEvent> events) {
        Set<String> s = new HashSet<>();
        events.forEach(e -> s.add(e.id()));
        return s;
    }

    private static List<KafkaTestSupport.Seen> consume(String prefix, List<ClusterEvent> expected) {
        return KafkaTestSupport.consume(broker.bootstrapServers(), List.of(prefix + ".events", prefix + ".audit"),
                ids(expected), Duration.ofSeconds(60));
    }

    @Test
    void deliversEveryEventOnceWithPerKeyOrder() throws Exception {
        List<ClusterEvent> published = events("life", 0, 2000);
        KafkaEventSink sink = KafkaEventSink.start(config(broker.bootstrapServers(), dir.resolve("life"), "life"));
        published.forEach(sink::publish);
        await().atMost(Duration.ofSeconds(60)).until(() -> sink.delivered() == 2000);
        assertThat(sink.pending()).isZero();
        assertThat(sink.dropped()).isZero();
        assertThat(sink.oldestPendingAgeMillis()).isZero();
        sink.close();

        List<KafkaTestSupport.Seen> seen = consume("life", published);
        KafkaTestSupport.Check check = KafkaTestSupport.check(seen, published);
        assertThat(check).isEqualTo(new KafkaTestSupport.Check(2000, 0, 0));
        assertThat(seen).filteredOn(s -> s.type().startsWith("dev.tower.audit.")).hasSize(40)
                .allMatch(s -> s.topic().equals("life.audit"));
        assertThat(seen).filteredOn(s -> !s.type().startsWith("dev.tower.audit.")).hasSize(1960)
                .allMatch(s -> s.topic().equals("life.events"));
        // Three partitions; one key's events all in one of them.
        assertThat(seen.stream().map(KafkaTestSupport.Seen::partition).distinct()).hasSize(3);
        assertThat(seen.stream().filter(s -> s.key().equals("fw-1/task-0")).map(KafkaTestSupport.Seen::partition)
                .distinct()).hasSize(1);
        // What Kafka holds is a CloudEvent the SDK reads.
        CloudEvent ce = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE)
                .deserialize(seen.get(0).json().toString().getBytes());
        assertThat(ce.getSource().toString()).isEqualTo("tower://test");
        assertThat(ce.getType()).startsWith("dev.tower.");
        // Everything acknowledged: only the (empty) active segment is left.
        try (Stream<Path> files = Files.list(dir.resolve("life"))) {
            assertThat(files.filter(p -> p.toString().endsWith(".seg")).count()).isEqualTo(1);
        }
    }

    /** What {@link #outage} saw. */
    record Outage(long downMillis, long maxPending, long maxAgeMillis, long maxPublishNanos, long maxOutagePublishNanos,
                  long p999OutagePublishNanos, long failures, long dropped, KafkaTestSupport.Check check) {
    }

    /**
     * Publishes {@code total} events at 100/s from a "master" thread; {@code 4 s} in, kills the broker for
     * {@code downMillis} and starts it again on the same data; waits for the outbox to drain; reads the topics back.
     */
    private Outage outage(String prefix, KafkaEventsConfig config, int total, long downMillis) throws Exception {
        return outage(prefix, config, total, downMillis, "nothing more", sink -> true);
    }

    /**
     * As {@link #outage(String, KafkaEventsConfig, int, long)}, and the broker stays down after {@code downMillis}
     * until {@code holdUntil} holds for the sink (at most 60 s more).
     */
    private Outage outage(String prefix, KafkaEventsConfig config, int total, long downMillis, String holdFor,
                          Predicate<KafkaEventSink> holdUntil) throws Exception {
        List<ClusterEvent> published = events(prefix, 0, total);
        KafkaEventSink sink = KafkaEventSink.start(config);
        AtomicLong maxPublishNanos = new AtomicLong();
        AtomicLong maxOutagePublishNanos = new AtomicLong();
        AtomicLong maxPending = new AtomicLong();
        AtomicLong maxAge = new AtomicLong();
        long[] outage = new long[2];
        long[] outageTimes = new long[total];
        int[] outageCount = new int[1];
        Thread master = new Thread(() -> {
            long start = System.nanoTime();
            for (int n = 0; n < total; n++) {
                long wait = start + n * 10_000_000L - System.nanoTime();
                if (wait > 0) {
                    try {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                long t0 = System.nanoTime();
                sink.publish(published.get(n));
                long took = System.nanoTime() - t0;
                maxPublishNanos.accumulateAndGet(took, Math::max);
                if (outage[0] != 0 && outage[1] == 0) {
                    maxOutagePublishNanos.accumulateAndGet(took, Math::max);
                    outageTimes[outageCount[0]++] = took;
                }
            }
        }, "fake-master");
        master.start();
        // The outage starts mid-run: once a steady stream (events go out every 10 ms) has been delivered for a while.
        await("events delivered before the outage").atMost(java.time.Duration.ofSeconds(60))
                .until(() -> sink.delivered() >= Math.min(400, total / 4));

        broker.kill();
        outage[0] = System.nanoTime();
        // The broker stays down for downMillis; all along the sink takes every event (sampled every 200 ms).
        await("no event dropped while Kafka is down").during(Duration.ofMillis(downMillis))
                .atMost(Duration.ofMillis(downMillis + 10_000)).pollInterval(Duration.ofMillis(200)).until(() -> {
                    maxPending.accumulateAndGet(sink.pending(), Math::max);
                    maxAge.accumulateAndGet(sink.oldestPendingAgeMillis(), Math::max);
                    return sink.dropped() == 0;
                });
        // Then for as long as it takes the sink to see what the test is about.
        await("Kafka down until " + holdFor).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    maxPending.accumulateAndGet(sink.pending(), Math::max);
                    maxAge.accumulateAndGet(sink.oldestPendingAgeMillis(), Math::max);
                    return holdUntil.test(sink);
                });
        broker.start();
        outage[1] = System.nanoTime();
        master.join();
        await().atMost(Duration.ofSeconds(120)).until(() -> sink.pending() == 0);
        long failures = sink.deliveryFailures();
        long dropped = sink.dropped();
        sink.close();

        KafkaTestSupport.Check check = KafkaTestSupport.check(consume(prefix, published), published);
        long[] down = java.util.Arrays.copyOf(outageTimes, outageCount[0]);
        java.util.Arrays.sort(down);
        long p50 = down.length == 0 ? 0 : down[down.length / 2];
        long p999 = down.length == 0 ? 0 : down[Math.min(down.length - 1, (int) (down.length * 0.999))];
        Outage o = new Outage(TimeUnit.NANOSECONDS.toMillis(outage[1] - outage[0]), maxPending.get(), maxAge.get(),
                maxPublishNanos.get(), maxOutagePublishNanos.get(), p999, failures, dropped, check);
        System.out.printf("%s: broker down %d ms; up to %d events waiting, the oldest for %d ms; publish() while down:"
                        + " %d calls, median %.1f us, p99.9 %.3f ms, max %.3f ms (whole run max %.3f ms); %d rewinds;"
                        + " %d distinct, %d duplicates, %d missing%n", prefix,
                o.downMillis(), o.maxPending(), o.maxAgeMillis(), down.length, p50 / 1e3, p999 / 1e6,
                o.maxOutagePublishNanos() / 1e6, o.maxPublishNanos() / 1e6, o.failures(), check.distinct(),
                check.duplicates(), check.missing());
        return o;
    }

    @Test
    void aBrokerOutageLosesNothingKeepsOrderAndNeverBlocksPublish() throws Exception {
        String prefix = "outage";
        Outage o = outage(prefix, config(broker.bootstrapServers(), dir.resolve(prefix), prefix), 3000, 20_000);
        // Per-key order is checked inside check(); nothing lost, nothing twice (the idempotent producer kept retrying).
        assertThat(o.check()).isEqualTo(new KafkaTestSupport.Check(3000, 0, 0));
        assertThat(o.dropped()).isZero();
        assertThat(o.failures()).isZero();
        assertThat(o.maxPending()).isGreaterThan(1000);
        assertThat(o.maxAgeMillis()).isGreaterThan(15_000);
        // publish() never waited for Kafka: a blocked call would take seconds (max.block.ms, request timeouts).
        assertThat(TimeUnit.NANOSECONDS.toMillis(o.maxOutagePublishNanos())).isLessThan(200);
    }

    @Test
    void batchesExpiredByAFiniteDeliveryTimeoutAreResentFromTheOutbox() throws Exception {
        String prefix = "expiry";
        KafkaEventsConfig c = config(broker.bootstrapServers(), dir.resolve(prefix), prefix)
                .withProducerProperty("delivery.timeout.ms", "3000")
                .withProducerProperty("request.timeout.ms", "1000")
                .withProducerProperty("max.block.ms", "1000");
        // Down for at least a delivery timeout, and until the producer has given up on a batch (how long that takes
        // depends on when its batches were sent and retried, so it is awaited rather than guessed).
        Outage o = outage(prefix, c, 1500, 3_000, "the producer expired a batch and the sink rewound",
                sink -> sink.deliveryFailures() > 0);
        // The producer gave up on batches while Kafka was down; the sink resent them from the outbox, in order.
        assertThat(o.failures()).isPositive();
        assertThat(o.check().missing()).isZero();
        assertThat(o.check().distinct()).isEqualTo(1500);
        assertThat(o.dropped()).isZero();
        assertThat(TimeUnit.NANOSECONDS.toMillis(o.maxOutagePublishNanos())).isLessThan(200);
    }

    @Test
    void eventsLeftByAKilledProcessAreDeliveredByTheNextSink() throws Exception {
        String prefix = "killed";
        Path outbox = dir.resolve(prefix);
        // The "master" cannot reach Kafka, writes 500 events to its outbox, and dies by SIGKILL.
        try (KafkaTestSupport.Child child = new KafkaTestSupport.Child(SinkChildMain.class, outbox.toString(),
                NO_KAFKA, prefix, prefix, "500")) {
            assertThat(child.await("DURABLE ", Duration.ofSeconds(60))).startsWith("DURABLE 500 delivered=0");
            child.kill();
        }
        KafkaEventSink next = KafkaEventSink.start(config(broker.bootstrapServers(), outbox, prefix));
        assertThat(next.pending()).isEqualTo(500);
        await().atMost(Duration.ofSeconds(60)).until(() -> next.pending() == 0);
        next.close();
        List<ClusterEvent> published = events(prefix, 0, 500);
        assertThat(KafkaTestSupport.check(consume(prefix, published), published))
                .isEqualTo(new KafkaTestSupport.Check(500, 0, 0));
    }

    @Test
    void aProcessKilledWhileSendingLosesNothingItHadWritten() throws Exception {
        String prefix = "midway";
        Path outbox = dir.resolve(prefix);
        int count = 30_000;
        String line;
        try (KafkaTestSupport.Child child = new KafkaTestSupport.Child(SinkChildMain.class, outbox.toString(),
                broker.bootstrapServers(), prefix, prefix, Integer.toString(count), "3000")) {
            line = child.await("DURABLE ", Duration.ofSeconds(60));
            child.kill();
        }
        KafkaEventSink next = KafkaEventSink.start(config(broker.bootstrapServers(), outbox, prefix));
        long left = next.pending();
        await().atMost(Duration.ofSeconds(60)).until(() -> next.pending() == 0);
        next.close();
        List<ClusterEvent> published = events(prefix, 0, count);
        KafkaTestSupport.Check check = KafkaTestSupport.check(consume(prefix, published), published);
        System.out.printf("killed mid-delivery (%s): %d left in the outbox for the next sink; %d distinct, %d duplicates%n",
                line, left, check.distinct(), check.duplicates());
        // The child died with events written but not yet sent; the next sink had them (and, since the delivery
        // checkpoint is at most 200 ms old, some already delivered ones: duplicates, never losses).
        assertThat(left).isBetween(1L, (long) count);
        assertThat(check.missing()).isZero();
        assertThat(check.distinct()).isEqualTo(count);
    }

    @Test
    void aTornOrCorruptOutboxTailIsSkipped() throws Exception {
        String prefix = "torn";
        Path outbox = dir.resolve(prefix);
        KafkaEventSink first = KafkaEventSink.start(config(NO_KAFKA, outbox, prefix)
                .withCloseTimeout(Duration.ofMillis(300)));
        List<ClusterEvent> published = events(prefix, 0, 100);
        published.forEach(first::publish);
        first.close();
        assertThat(first.pending()).isEqualTo(100);
        // A crash in the middle of a write: a record header announcing 400 bytes, and only 30 of them.
        Path last = lastSegment(outbox);
        Files.write(last, ByteBuffer.allocate(30).putInt(400).putInt(0xcafe).array(), StandardOpenOption.APPEND);

        KafkaEventSink second = KafkaEventSink.start(config(broker.bootstrapServers(), outbox, prefix));
        assertThat(second.outbox().truncatedBytes()).isEqualTo(30);
        await().atMost(Duration.ofSeconds(60)).until(() -> second.pending() == 0);
        second.close();
        assertThat(KafkaTestSupport.check(consume(prefix, published), published))
                .isEqualTo(new KafkaTestSupport.Check(100, 0, 0));

        // A corrupt last record (a flipped bit): that one event is lost, the others go.
        KafkaEventSink third = KafkaEventSink.start(config(NO_KAFKA, outbox, prefix)
                .withCloseTimeout(Duration.ofMillis(300)));
        List<ClusterEvent> more = events(prefix, 100, 110);
        more.forEach(third::publish);
        third.close();
        Path seg = lastSegment(outbox);
        byte[] bytes = Files.readAllBytes(seg);
        bytes[bytes.length - 10] ^= 0x20;
        Files.write(seg, bytes);
        KafkaEventSink fourth = KafkaEventSink.start(config(broker.bootstrapServers(), outbox, prefix));
        assertThat(fourth.pending()).isEqualTo(9);
        await().atMost(Duration.ofSeconds(60)).until(() -> fourth.pending() == 0);
        fourth.close();
        List<ClusterEvent> all = events(prefix, 0, 109);
        assertThat(KafkaTestSupport.check(consume(prefix, all), all))
                .isEqualTo(new KafkaTestSupport.Check(109, 0, 0));
    }

    @Test
    void aFullOutboxDropsNewEventsCountsThemAndRecovers() throws Exception {
        String prefix = "tiny";
        Path outbox = dir.resolve(prefix);
        KafkaEventsConfig tiny = config(NO_KAFKA, outbox, prefix)
                .withOutbox(Outbox.Options.defaults(outbox).withSegmentBytes(16 << 10).withMaxBytes(64 << 10))
                .withCloseTimeout(Duration.ofMillis(300));
        KafkaEventSink sink = KafkaEventSink.start(tiny);
        List<ClusterEvent> published = events(prefix, 0, 2000);
        long slowest = 0;
        for (ClusterEvent e : published) {
            long t0 = System.nanoTime();
            sink.publish(e);
            slowest = Math.max(slowest, System.nanoTime() - t0);
        }
        long accepted = sink.pending();
        assertThat(sink.dropped()).isEqualTo(2000 - accepted).isGreaterThan(1000);
        assertThat(sink.outbox().dropEpisodes()).isEqualTo(1);
        assertThat(sink.outbox().pendingBytes()).isLessThanOrEqualTo(64 << 10);
        assertThat(TimeUnit.NANOSECONDS.toMillis(slowest)).isLessThan(200);
        sink.close();

        // Kafka back: what was accepted is delivered, in order, and new events are taken again.
        KafkaEventSink live = KafkaEventSink.start(config(broker.bootstrapServers(), outbox, prefix)
                .withOutbox(tiny.outbox()));
        await().atMost(Duration.ofSeconds(60)).until(() -> live.pending() == 0);
        List<ClusterEvent> first = published.subList(0, (int) accepted);
        live.publish(KafkaTestSupport.event(prefix, 5000, 100));
        await().atMost(Duration.ofSeconds(30)).until(() -> live.delivered() == accepted + 1);
        assertThat(live.dropped()).isZero();
        live.close();
        List<KafkaTestSupport.Seen> seen = consume(prefix, first);
        assertThat(KafkaTestSupport.check(seen, first)).isEqualTo(new KafkaTestSupport.Check((int) accepted + 1, 0, 0));
    }

    private static Path lastSegment(Path outbox) throws Exception {
        try (Stream<Path> files = Files.list(outbox)) {
            // The newest segment holding records (the empty active one of the closed sink is deleted at the next open,
            // but it is the last file now: take the last non-empty).
            List<Path> segs = files.filter(p -> p.toString().endsWith(".seg")).sorted().toList();
            for (int i = segs.size() - 1; i >= 0; i--) {
                if (Files.size(segs.get(i)) > Outbox.HEADER_BYTES) {
                    return segs.get(i);
                }
            }
        }
        throw new AssertionError("no segment with records in " + outbox);
    }
}
