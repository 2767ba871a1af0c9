package dev.tower.kafka;

import dev.tower.manager.core.ClusterEvent;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Events per second from {@link KafkaEventSink#publish} to Kafka's acknowledgement, and publish-to-ack latency at a
 * fixed rate, against a local broker ({@link KafkaBroker}); with, as the same-run baseline, a bare {@link KafkaProducer}
 * with the same settings sending the same CloudEvent bytes (no outbox). Run through {@code bench/kafka.sh}.
 * <pre>
 *   KafkaSinkBenchmark [--events N] [--rate EVENTS_PER_S] [--seconds S] [--bootstrap HOST:PORT] [--producer k=v]...
 * </pre>
 * Targets (issue #5): at least 50,000 events/s, p99 publish-to-ack at most 100 ms.
 */
public final class KafkaSinkBenchmark {
    private static final int TASKS = 1000;

    private KafkaSinkBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int events = 300_000;
        int rate = 50_000;
        int seconds = 10;
        String bootstrap = null;
        Map<String, String> producer = new java.util.LinkedHashMap<>();
        boolean fsync = true;
        long flushMillis = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--events" -> events = Integer.parseInt(args[++i]);
                case "--rate" -> rate = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--bootstrap" -> bootstrap = args[++i];
                case "--no-fsync" -> fsync = false;
                case "--flush-ms" -> flushMillis = Long.parseLong(args[++i]);
                case "--producer" -> {
                    String[] kv = args[++i].split("=", 2);
                    producer.put(kv[0], kv[1]);
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path work = Files.createTempDirectory("tower-kafka-bench");
        KafkaBroker broker = null;
        try {
            if (bootstrap == null) {
                broker = KafkaBroker.builder(work.resolve("kafka")).logLevel("WARN").start();
                bootstrap = broker.bootstrapServers();
            }
            System.out.printf("Tower Kafka sink benchmark: %d cpus, broker %s, outbox fsync %s, group commit %d ms,"
                            + " producer overrides %s%n", Runtime.getRuntime().availableProcessors(), bootstrap, fsync,
                    flushMillis, producer);
            Bench b = new Bench(bootstrap, work, producer, fsync, flushMillis);
            // Warm-up: both paths, JIT and topic creation.
            b.rawThroughput("warm", 50_000);
            b.sinkThroughput("warm", 50_000);

            Result raw = b.rawThroughput("raw", events);
            Result sink = b.sinkThroughput("sink", events);
            Latency rawLat = b.rawLatency("rawlat", rate, seconds);
            Latency sinkLat = b.sinkLatency("sinklat", rate, seconds);

            System.out.println();
            System.out.println("==================== Tower events -> Kafka ====================");
            System.out.printf("throughput, %,d events as fast as possible, until the last ack:%n", events);
            System.out.printf("  KafkaEventSink (outbox, fsync)   %,10.0f events/s   target >= 50,000: %s"
                            + "   (publish() %.2f us/event, dropped %d)%n",
                    sink.perSecond(), sink.perSecond() >= 50_000 ? "MET" : "MISSED", sink.publishMicros(), sink.dropped());
            System.out.printf("  baseline: bare KafkaProducer     %,10.0f events/s   (sink / baseline = %.2f)%n",
                    raw.perSecond(), sink.perSecond() / raw.perSecond());
            System.out.printf("latency publish -> ack at %,d events/s for %d s:%n", rate, seconds);
            System.out.printf("  KafkaEventSink   p50 %5.1f ms  p99 %5.1f ms  max %6.1f ms   achieved %,.0f/s"
                            + "   target p99 <= 100 ms: %s%n", sinkLat.p50(), sinkLat.p99(), sinkLat.max(),
                    sinkLat.achieved(), sinkLat.p99() <= 100 ? "MET" : "MISSED");
            System.out.printf("                   (outbox: %d writes, longest %.1f ms; longest fsync %.1f ms)%n",
                    b.lastCommits, b.lastMaxCommitMicros / 1e3, b.lastMaxFsyncMicros / 1e3);
            System.out.printf("  baseline         p50 %5.1f ms  p99 %5.1f ms  max %6.1f ms   achieved %,.0f/s%n",
                    rawLat.p50(), rawLat.p99(), rawLat.max(), rawLat.achieved());
        } finally {
            if (broker != null) {
                broker.close();
            }
            deleteTree(work);
        }
    }

    record Result(double perSecond, double publishMicros, long dropped) {
    }

    record Latency(double p50, double p99, double max, double achieved) {
    }

    private static final class Bench {
        final String bootstrap;
        final Path work;
        final Map<String, String> overrides;
        final boolean fsync;
        final long flushMillis;
        long lastCommits;
        long lastMaxCommitMicros;
        long lastMaxFsyncMicros;

        Bench(String bootstrap, Path work, Map<String, String> overrides, boolean fsync, long flushMillis) {
            this.bootstrap = bootstrap;
            this.work = work;
            this.overrides = overrides;
            this.fsync = fsync;
            this.flushMillis = flushMillis;
        }

        KafkaEventsConfig config(String name) {
            KafkaEventsConfig c = KafkaEventsConfig.defaults(bootstrap, work.resolve("outbox-" + name))
                    .withSource("tower://bench").withTopics("bench." + name + ".events", "bench." + name + ".audit")
                    .withCloseTimeout(Duration.ofSeconds(60));
            c = c.withOutbox(c.outbox().withFsync(fsync).withFlushIntervalMillis(flushMillis));
            for (Map.Entry<String, String> e : overrides.entrySet()) {
                c = c.withProducerProperty(e.getKey(), e.getValue());
            }
            return c;
        }

        Result sinkThroughput(String name, int n) throws Exception {
            KafkaEventSink sink = KafkaEventSink.start(config(name));
            awaitTopics(sink);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink.publish(KafkaTestSupport.event(name, i, TASKS));
            }
            long published = System.nanoTime();
            while (sink.delivered() + sink.dropped() < n) {
                Thread.sleep(1);
            }
            long done = System.nanoTime();
            long dropped = sink.dropped();
            sink.close();
            return new Result(n / ((done - t0) / 1e9), (published - t0) / 1e3 / n, dropped);
        }

        /** Waits until the sink has created its topics and delivered a first event. */
        private void awaitTopics(KafkaEventSink sink) throws InterruptedException {
            sink.publish(KafkaTestSupport.event("ready", 0, 1));
            while (sink.delivered() < 1) {
                Thread.sleep(5);
            }
        }

        Latency sinkLatency(String name, int rate, int seconds) throws Exception {
            KafkaEventSink sink = KafkaEventSink.start(config(name));
            awaitTopics(sink);
            AtomicLongArray histogram = new AtomicLongArray(100_000);
            sink.onAck(appendMillis -> {
                long ms = System.currentTimeMillis() - appendMillis;
                histogram.incrementAndGet((int) Math.min(histogram.length() - 1, Math.max(0, ms)));
            });
            int n = rate * seconds;
            long t0 = System.nanoTime();
            pace(rate, n, i -> sink.publish(KafkaTestSupport.event(name, i, TASKS)));
            double achieved = n / ((System.nanoTime() - t0) / 1e9);
            while (sink.delivered() < n + 1 && sink.dropped() == 0) {
                Thread.sleep(1);
            }
            lastCommits = sink.outbox().commits();
            lastMaxCommitMicros = sink.outbox().maxCommitMicros();
            lastMaxFsyncMicros = sink.outbox().maxFsyncMicros();
            sink.close();
            return percentiles(histogram, 1.0, achieved);
        }

        private KafkaProducer<byte[], byte[]> producer() {
            KafkaPublisher p = new KafkaPublisher(config("raw"), null);
            return new KafkaProducer<>(p.producerConfig());
        }

        private static ProducerRecord<byte[], byte[]> record(String topic, ClusterEvent e, List<Header> headers) {
            byte[] value = CloudEvents.structured(e, "tower://bench");
            return new ProducerRecord<>(topic, null, e.timeMillis(), e.subject().getBytes(StandardCharsets.UTF_8),
                    value, headers);
        }

        private static final List<Header> HEADERS = List.of(
                new RecordHeader("content-type", CloudEvents.CONTENT_TYPE.getBytes(StandardCharsets.UTF_8)));

        Result rawThroughput(String name, int n) throws Exception {
            String topic = "bench." + name + ".raw";
            createTopic(topic);
            AtomicLong acked = new AtomicLong();
            try (KafkaProducer<byte[], byte[]> p = producer()) {
                p.send(record(topic, KafkaTestSupport.event(name, 0, TASKS), HEADERS)).get();
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    // The same work per event as the sink's publish: build the CloudEvent JSON.
                    p.send(record(topic, KafkaTestSupport.event(name, i, TASKS), HEADERS), (m, ex) -> {
                        if (ex == null) {
                            acked.incrementAndGet();
                        }
                    });
                }
                p.flush();
                long done = System.nanoTime();
                return new Result(acked.get() / ((done - t0) / 1e9), 0, n - acked.get());
            }
        }

        Latency rawLatency(String name, int rate, int seconds) throws Exception {
            String topic = "bench." + name + ".raw";
            createTopic(topic);
            AtomicLongArray histogram = new AtomicLongArray(1_000_000);
            try (KafkaProducer<byte[], byte[]> p = producer()) {
                p.send(record(topic, KafkaTestSupport.event(name, 0, TASKS), HEADERS)).get();
                int n = rate * seconds;
                long t0 = System.nanoTime();
                pace(rate, n, i -> {
                    long sent = System.nanoTime();
                    p.send(record(topic, KafkaTestSupport.event(name, i, TASKS), HEADERS), (m, ex) -> {
                        long us = (System.nanoTime() - sent) / 10_000;
                        histogram.incrementAndGet((int) Math.min(histogram.length() - 1, us));
                    });
                });
                double achieved = n / ((System.nanoTime() - t0) / 1e9);
                p.flush();
                return percentiles(histogram, 0.01, achieved);
            }
        }

        private void createTopic(String topic) throws Exception {
            try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                    Map.of("bootstrap.servers", bootstrap))) {
                admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 3, (short) 1))).all()
                        .get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Calls {@code action(i)} for i in [0, n) at {@code rate} per second, in 1 ms bursts. */
    private static void pace(int rate, int n, java.util.function.IntConsumer action) throws InterruptedException {
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long due = start + (long) i * 1_000_000_000L / rate;
            long wait = due - System.nanoTime();
            if (wait > 1_000_000) {
                Thread.sleep(wait / 1_000_000);
            }
            action.accept(i);
        }
    }

    /** p50, p99 and max of a histogram whose buckets are {@code bucketMillis} wide. */
    private static Latency percentiles(AtomicLongArray h, double bucketMillis, double achieved) {
        long total = 0;
        for (int i = 0; i < h.length(); i++) {
            total += h.get(i);
        }
        double p50 = -1;
        double p99 = -1;
        double max = 0;
        long seen = 0;
        for (int i = 0; i < h.length(); i++) {
            long c = h.get(i);
            if (c == 0) {
                continue;
            }
            seen += c;
            if (p50 < 0 && seen >= total * 0.50) {
                p50 = i * bucketMillis;
            }
            if (p99 < 0 && seen >= total * 0.99) {
                p99 = i * bucketMillis;
            }
            max = i * bucketMillis;
        }
        return new Latency(p50, p99, max, achieved);
    }

    private static void deleteTree(Path p) {
        try (var s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (Exception ignored) {
            // temp files
        }
    }
}
