package dev.tower.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Sends the outbox to Kafka, in outbox order, from one thread ({@code tower-kafka-sender}).
 *
 * <h2>Ordering, retries and the delivery guarantee</h2>
 * The producer is idempotent ({@code enable.idempotence=true}, {@code acks=all}, unlimited {@code retries}) with
 * <b>one request in flight per connection</b> ({@code max.in.flight.requests.per.connection=1}; at most 5 may be
 * configured, at a risk described below). While it retries, the records of a partition are written in send order,
 * each once, across broker restarts.
 * <ul>
 *   <li><b>Kafka down, buffer full, no metadata</b>: {@code send} fails <em>synchronously</em> after
 *   {@code max.block.ms} (2 s, on this thread, never the master's). That record never entered the producer and nothing
 *   behind it was sent: the same record is tried again after a back-off (0.25 s doubling to 5 s); the rest waits in
 *   the outbox.</li>
 *   <li><b>The producer gives up on a record</b> (its batch outlived {@code delivery.timeout.ms}, Kafka's default of
 *   2 minutes, e.g. a long outage; or a non-retriable error): the sender force-closes it at once, from the failing
 *   callback; counts as delivered only the unbroken run of acknowledged records at the head of its in-flight queue
 *   (the outbox deletes those); and after the back-off resends everything from the oldest unacknowledged record, in
 *   outbox order, with a new producer. With one request in flight nothing behind the failed batch has been sent, and
 *   the force-close aborts what is queued before the producer can re-sequence it (an idempotent producer that drops a
 *   batch bumps its epoch and goes on with the next ones), so per-key order holds; records acknowledged on other
 *   partitions after the failed one are sent again (duplicates).</li>
 * </ul>
 * Why one in flight: with several requests in flight to a partition the broker has no producer state for (just
 * created), a first request failing NOT_LEADER_OR_FOLLOWER lets the next be appended, and the first then fails
 * OUT_OF_ORDER_SEQUENCE_NUMBER on every retry until {@code delivery.timeout.ms} drops it (KAFKA-14359 / KAFKA-15591,
 * seen here against 4.4.0 right after topic creation: later events of a key written before earlier ones, or a producer
 * stuck for good with an infinite delivery timeout). The sender also waits for new topics' partitions to have leaders.
 * The cost in throughput is measured by {@code bench/kafka.sh}.
 * <p>
 * So delivery is <b>at least once</b>, in publish order per key. Duplicates (same CloudEvent {@code id}) come from
 * resends after a producer failure and after a master restart (events acknowledged since the outbox's last checkpoint,
 * at most about {@value Outbox#CHECKPOINT_INTERVAL_MILLIS} ms of them); consumers dedupe by {@code id}, keeping the
 * first copy. A record Kafka will never take ({@link RecordTooLargeException}) is logged and skipped rather than
 * retried forever.
 */
final class KafkaPublisher {
    private static final Logger log = LoggerFactory.getLogger(KafkaPublisher.class);
    private static final int READ_BATCH = 1000;
    private static final int MAX_IN_FLIGHT = 200_000;
    private static final long BACKOFF_MIN_MILLIS = 250;
    private static final long BACKOFF_MAX_MILLIS = 5000;
    static final byte KIND_EVENTS = 0;
    static final byte KIND_AUDIT = 1;

    private enum State { PENDING, OK, SKIPPED, FAILED, NOT_SENT }

    private static final class InFlight {
        final Outbox.Position next;
        final long appendMillis;
        final long generation;
        State state = State.PENDING;

        InFlight(Outbox.Position next, long appendMillis, long generation) {
            this.next = next;
            this.appendMillis = appendMillis;
            this.generation = generation;
        }
    }

    private final KafkaEventsConfig config;
    private final Outbox outbox;
    private final Thread thread;
    private final List<Header> headers = List.of(
            new RecordHeader("content-type", CloudEvents.CONTENT_TYPE.getBytes(StandardCharsets.UTF_8)));

    private final Object lock = new Object();
    // guarded by lock
    private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
    private long generation;
    private boolean failed;
    private Exception failure;
    private Producer<byte[], byte[]> producer;

    private volatile boolean stopping;
    private volatile LongConsumer ackListener;
    private boolean topicsReady;
    private long backoff = BACKOFF_MIN_MILLIS;
    /** When the current outage began (0: none); sender thread only. */
    private long unavailableSince;
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong undeliverable = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();

    KafkaPublisher(KafkaEventsConfig config, Outbox outbox) {
        this.config = config;
        this.outbox = outbox;
        this.thread = new Thread(this::run, "tower-kafka-sender");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Called on the producer's I/O thread with the append time of each record Kafka acknowledged (measurements). */
    void onAck(LongConsumer listener) {
        this.ackListener = listener;
    }

    long failures() {
        return failures.get();
    }

    long undeliverable() {
        return undeliverable.get();
    }

    long sent() {
        return sent.get();
    }

    /** Producer settings: Tower's defaults, then the configured ones, then the ones ordering depends on. */
    Map<String, Object> producerConfig() {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "tower-events");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        // send() runs on the sender thread, never the master's; a short block keeps close() and failover prompt.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000);
        p.put(ProducerConfig.RECONNECT_BACKOFF_MS_CONFIG, 100);
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
        p.putAll(config.producerProperties());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE);
        Object inflight = p.get(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION);
        if (inflight == null || Integer.parseInt(inflight.toString()) > 5 || Integer.parseInt(inflight.toString()) < 1) {
            p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        }
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    private void run() {
        Outbox.Position cursor = outbox.ackPosition();
        while (!stopping) {
            try {
                if (!topicsReady) {
                    ensureTopics();
                    topicsReady = true;
                }
                Producer<byte[], byte[]> p;
                long gen;
                synchronized (lock) {
                    p = producer;
                }
                if (p == null) {
                    p = new KafkaProducer<>(producerConfig());
                    synchronized (lock) {
                        producer = p;
                        generation++;
                    }
                }
                synchronized (lock) {
                    gen = generation;
                }
                List<Outbox.Entry> batch = outbox.read(cursor, READ_BATCH, 50);
                Exception notSent = null;
                for (Outbox.Entry e : batch) {
                    if (!awaitCapacity()) {
                        break;
                    }
                    if (e.payload() == null) {
                        // Unreadable bytes in the outbox (logged there): acknowledge them in their turn, send nothing.
                        undeliverable.incrementAndGet();
                        InFlight gap = new InFlight(e.next(), e.appendMillis(), gen);
                        gap.state = State.SKIPPED;
                        synchronized (lock) {
                            inFlight.addLast(gap);
                        }
                        cursor = e.next();
                        continue;
                    }
                    notSent = send(p, gen, e);
                    if (notSent != null) {
                        break;
                    }
                    cursor = e.next();
                }
                acknowledgeCompleted();
                boolean hasFailed;
                synchronized (lock) {
                    hasFailed = failed;
                }
                if (hasFailed) {
                    cursor = recover();
                    pause(backoff);
                    backoff = Math.min(backoff * 2, BACKOFF_MAX_MILLIS);
                } else if (notSent != null) {
                    // The producer did not take it (buffer full or no metadata for max.block.ms): try it again.
                    unavailable(notSent);
                    pause(backoff);
                    backoff = Math.min(backoff * 2, BACKOFF_MAX_MILLIS);
                }
            } catch (InterruptedException e) {
                if (stopping) {
                    break;
                }
            } catch (RuntimeException e) {
                // Topic creation or an unexpected client error: start again from what Kafka has acknowledged.
                unavailable(e);
                synchronized (lock) {
                    if (!failed) {
                        failed = true;
                        failure = e;
                    }
                }
                cursor = recover();
                try {
                    pause(backoff);
                } catch (InterruptedException ie) {
                    if (stopping) {
                        break;
                    }
                }
                backoff = Math.min(backoff * 2, BACKOFF_MAX_MILLIS);
            }
        }
    }

    /** Hands a record to the producer; returns why if the producer did not take it (nothing of it was sent). */
    private Exception send(Producer<byte[], byte[]> p, long gen, Outbox.Entry e) {
        byte[] payload = e.payload();
        byte kind = payload[0];
        int keyLength = Outbox.getInt(payload, 1);
        byte[] key = java.util.Arrays.copyOfRange(payload, 5, 5 + keyLength);
        byte[] value = java.util.Arrays.copyOfRange(payload, 5 + keyLength, payload.length);
        String topic = kind == KIND_AUDIT ? config.auditTopic() : config.eventsTopic();
        InFlight f = new InFlight(e.next(), e.appendMillis(), gen);
        synchronized (lock) {
            inFlight.addLast(f);
        }
        Exception[] syncFailure = new Exception[1];
        try {
            p.send(new ProducerRecord<>(topic, null, e.appendMillis(), key, value, headers),
                    (metadata, ex) -> {
                        if (ex != null && Thread.currentThread() == thread) {
                            syncFailure[0] = ex;
                        } else {
                            completed(f, ex);
                        }
                    });
        } catch (RuntimeException ex) {
            syncFailure[0] = ex;
        }
        if (syncFailure[0] == null) {
            sent.incrementAndGet();
            return null;
        }
        // Failed inside send(), on this thread: the record never entered the producer.
        synchronized (lock) {
            f.state = State.NOT_SENT;
            inFlight.removeLastOccurrence(f);
        }
        if (syncFailure[0] instanceof RecordTooLargeException) {
            undeliverable.incrementAndGet();
            log.error("an event is too large for Kafka and is dropped (outbox record before {}): {}", e.next(),
                    syncFailure[0].toString());
            synchronized (lock) {
                f.state = State.SKIPPED;
                inFlight.addLast(f);
            }
            return null;
        }
        return syncFailure[0];
    }

    /** Producer callback (I/O thread), or the sender thread when send() itself throws. */
    private void completed(InFlight f, Exception ex) {
        Producer<byte[], byte[]> abort = null;
        synchronized (lock) {
            if (f.generation != generation || f.state != State.PENDING) {
                return;
            }
            if (ex == null) {
                f.state = State.OK;
            } else {
                f.state = ex instanceof RecordTooLargeException ? State.SKIPPED : State.FAILED;
                if (f.state == State.SKIPPED) {
                    undeliverable.incrementAndGet();
                    log.error("an event is too large for Kafka and is dropped (outbox record before {}): {}", f.next, ex.toString());
                }
                if (!failed) {
                    failed = true;
                    failure = ex;
                    abort = producer;
                }
            }
            lock.notifyAll();
        }
        if (abort != null) {
            // Abort everything queued behind the failure, before the producer sends any of it (see class comment).
            abort.close(Duration.ZERO);
        }
        LongConsumer l = ackListener;
        if (ex == null && l != null) {
            l.accept(f.appendMillis);
        }
    }

    private boolean awaitCapacity() throws InterruptedException {
        synchronized (lock) {
            while (inFlight.size() >= MAX_IN_FLIGHT && !failed && !stopping) {
                lock.wait(100);
            }
            return !failed && !stopping;
        }
    }

    /** Lets the outbox drop the acknowledged head of the in-flight queue. */
    private void acknowledgeCompleted() {
        Outbox.Position upTo = null;
        long n = 0;
        synchronized (lock) {
            while (!inFlight.isEmpty()
                    && (inFlight.peekFirst().state == State.OK || inFlight.peekFirst().state == State.SKIPPED)) {
                upTo = inFlight.pollFirst().next;
                n++;
            }
            if (n > 0) {
                lock.notifyAll();
            }
        }
        if (n > 0) {
            outbox.acknowledge(upTo, n);
            if (unavailableSince != 0) {
                log.info("Kafka delivery resumed after {} s; {} events still to send",
                        (System.currentTimeMillis() - unavailableSince) / 1000, outbox.pending());
                unavailableSince = 0;
            }
            backoff = BACKOFF_MIN_MILLIS;
        }
    }

    /** Drops the producer and everything in flight; returns where to resend from. */
    private Outbox.Position recover() {
        Producer<byte[], byte[]> p;
        Exception cause;
        synchronized (lock) {
            p = producer;
            cause = failure;
        }
        if (p != null) {
            // From this thread close(0) also waits for the I/O thread, so every callback has run when it returns.
            p.close(Duration.ZERO);
        }
        acknowledgeCompleted();
        long dropped;
        synchronized (lock) {
            dropped = inFlight.size();
            inFlight.clear();
            generation++;
            producer = null;
            failed = false;
            failure = null;
            lock.notifyAll();
        }
        failures.incrementAndGet();
        unavailable(cause);
        if (log.isDebugEnabled()) {
            log.debug("resending {} in-flight events from {}", dropped, outbox.ackPosition());
        }
        return outbox.ackPosition();
    }

    private void unavailable(Exception cause) {
        if (unavailableSince == 0) {
            unavailableSince = System.currentTimeMillis();
            log.warn("Kafka at {} unavailable ({}); events wait in the outbox ({} pending) and are resent from the"
                    + " oldest unacknowledged one", config.bootstrapServers(), cause, outbox.pending());
        } else {
            log.debug("Kafka still unavailable: {}", String.valueOf(cause));
        }
    }

    private void pause(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!stopping) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return;
            }
            Thread.sleep(Math.min(left, 50));
        }
    }

    private void ensureTopics() {
        if (!config.createTopics()) {
            return;
        }
        Map<String, Object> p = new HashMap<>();
        for (Map.Entry<String, String> e : config.producerProperties().entrySet()) {
            if (e.getKey().startsWith("security.") || e.getKey().startsWith("sasl.") || e.getKey().startsWith("ssl.")) {
                p.put(e.getKey(), e.getValue());
            }
        }
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "tower-events-admin");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
        try (Admin admin = Admin.create(p)) {
            Set<String> names = Set.of(config.eventsTopic(), config.auditTopic());
            CreateTopicsResult result = admin.createTopics(names.stream()
                    .map(n -> new NewTopic(n, config.partitions(), config.replicationFactor())).toList());
            for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> e : result.values().entrySet()) {
                try {
                    e.getValue().get(10, TimeUnit.SECONDS);
                    log.info("created Kafka topic {} ({} partitions, replication factor {})", e.getKey(),
                            config.partitions(), config.replicationFactor());
                } catch (ExecutionException ex) {
                    if (!(ex.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create Kafka topic " + e.getKey() + ": " + ex.getCause(),
                                ex.getCause());
                    }
                }
            }
            awaitLeaders(admin, names);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating Kafka topics", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("timed out creating Kafka topics", e);
        }
    }

    /** Waits (at most 10 s) until every partition of {@code topics} has a leader, so the first writes find them. */
    private void awaitLeaders(Admin admin, Set<String> topics) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!stopping && System.nanoTime() < deadline) {
            try {
                boolean ready = admin.describeTopics(topics).allTopicNames().get(5, TimeUnit.SECONDS).values().stream()
                        .allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
                if (ready) {
                    return;
                }
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                log.debug("topics not described yet: {}", e.toString());
            }
            Thread.sleep(100);
        }
    }

    /**
     * Stops sending: lets the producer finish what is in flight until {@code deadlineNanos}, records what Kafka
     * acknowledged, and ends the thread. Whatever is not acknowledged stays in the outbox for the next start.
     */
    void stop(long deadlineNanos) {
        stopping = true;
        try {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())));
            if (thread.isAlive()) {
                thread.interrupt();
                thread.join(2_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Producer<byte[], byte[]> p;
        synchronized (lock) {
            p = producer;
        }
        if (p != null) {
            p.close(Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime())));
        }
        acknowledgeCompleted();
    }

    /** Stops at once without waiting for Kafka (tests: the closest an in-process sink gets to kill -9). */
    void halt() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Producer<byte[], byte[]> p;
        synchronized (lock) {
            p = producer;
            generation++;
        }
        if (p != null) {
            p.close(Duration.ZERO);
        }
    }
}
