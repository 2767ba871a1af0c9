package dev.tower.kafka;

import dev.tower.api.events.EventSinkView;
import dev.tower.manager.core.ClusterEvent;
import dev.tower.manager.events.EventSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Publishes the master's cluster events to Kafka as CloudEvents (DESIGN §9), through a durable {@link Outbox}.
 * <pre>{@code
 * KafkaEventSink sink = KafkaEventSink.start(KafkaEventsConfig.defaults(bootstrap, workDir.resolve("outbox"))
 *         .withSource("tower://" + masterAddress));
 * master.events().add(sink);   // the bus closes it with the master
 * }</pre>
 * {@link #publish} encodes the event and appends it to the outbox's in-memory buffer: it never waits for the disk or
 * for Kafka. A sender thread ({@link KafkaPublisher}) sends the outbox in order; {@code audit.*} events go to the audit
 * topic, the others to the events topic, keyed by subject. A Kafka outage only makes the outbox grow; when it is full
 * (the configured bound) new events are dropped and counted, loudly. Delivery is at least once: consumers dedupe by the
 * CloudEvent {@code id}.
 */
public final class KafkaEventSink implements EventSink {
    private static final Logger log = LoggerFactory.getLogger(KafkaEventSink.class);

    private final KafkaEventsConfig config;
    private final Outbox outbox;
    private final KafkaPublisher publisher;
    private final AtomicLong encodingFailures = new AtomicLong();
    private volatile boolean closed;

    private KafkaEventSink(KafkaEventsConfig config, Outbox outbox) {
        this.config = config;
        this.outbox = outbox;
        this.publisher = new KafkaPublisher(config, outbox);
    }

    /**
     * Opens the outbox (recovering whatever a previous run left unsent, which is sent first) and starts sending.
     * Does not wait for Kafka: it may be down.
     */
    public static KafkaEventSink start(KafkaEventsConfig config) throws IOException {
        KafkaEventSink sink = new KafkaEventSink(config, Outbox.open(config.outbox()));
        sink.publisher.start();
        log.info("publishing cluster events to Kafka at {} (topics {} and {}; outbox {}, bound {} MiB, {} events from"
                        + " before to send)", config.bootstrapServers(), config.eventsTopic(), config.auditTopic(),
                config.outbox().dir(), config.outbox().maxBytes() >> 20, sink.outbox.pending());
        return sink;
    }

    public KafkaEventsConfig config() {
        return config;
    }

    /** Never blocks and never throws; a dropped event is counted in {@link #dropped()}. */
    @Override
    public void publish(ClusterEvent event) {
        byte[] payload;
        try {
            payload = encode(event, config.source());
        } catch (RuntimeException e) {
            if (encodingFailures.getAndIncrement() == 0) {
                log.error("cannot encode event {} for Kafka; dropping it (further failures are only counted): {}",
                        event.id(), e.toString());
            }
            return;
        }
        outbox.append(payload);
    }

    /** Outbox record: kind (events or audit) | int32 key length | key | CloudEvent JSON. */
    static byte[] encode(ClusterEvent event, String source) {
        byte[] value = CloudEvents.structured(event, source);
        byte[] key = (event.subject() != null ? event.subject() : event.type()).getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[5 + key.length + value.length];
        payload[0] = event.isAudit() ? KafkaPublisher.KIND_AUDIT : KafkaPublisher.KIND_EVENTS;
        Outbox.putInt(payload, 1, key.length);
        System.arraycopy(key, 0, payload, 5, key.length);
        System.arraycopy(value, 0, payload, 5 + key.length, value.length);
        return payload;
    }

    /** Events published but not yet acknowledged by Kafka (in memory or in the outbox files). */
    public long pending() {
        return outbox.pending();
    }

    /** Events lost on purpose: outbox full or stalled, published after close, too large, or not encodable. */
    public long dropped() {
        return outbox.dropped() + publisher.undeliverable() + encodingFailures.get();
    }

    /** Events Kafka acknowledged since this sink started. */
    public long delivered() {
        return outbox.delivered();
    }

    /** How long the oldest pending event has waited (0 when none): the lag behind the master. */
    public long oldestPendingAgeMillis() {
        return outbox.oldestPendingAgeMillis();
    }

    /** Times delivery failed and restarted from the oldest unacknowledged event (each outage counts one or more). */
    public long deliveryFailures() {
        return publisher.failures();
    }

    /** Bytes the outbox holds on disk and in memory, against its bound {@code config().outbox().maxBytes()}. */
    public long outboxBytes() {
        return outbox.retainedBytes();
    }

    /** For {@code /health}: where events go and how far behind delivery is. */
    @Override
    public Optional<EventSinkView> view() {
        return Optional.of(new EventSinkView(EventSinkView.KAFKA, config.bootstrapServers(),
                List.of(config.eventsTopic(), config.auditTopic()), pending(), outbox.unwritten(), delivered(),
                dropped(), oldestPendingAgeMillis(), outboxBytes(), config.outbox().maxBytes()));
    }

    Outbox outbox() {
        return outbox;
    }

    /** Measurement hook: called on Kafka's I/O thread with the append time of every acknowledged event. */
    void onAck(LongConsumer listener) {
        publisher.onAck(listener);
    }

    /**
     * Stops taking events, then for at most {@code config().closeTimeout()} writes what is buffered and sends what is
     * pending; whatever Kafka has not acknowledged by then stays in the outbox and is sent by the next sink on the same
     * directory.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        long deadline = System.nanoTime() + config.closeTimeout().toNanos();
        outbox.stopAccepting();
        try {
            outbox.flush(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            while (outbox.pending() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        publisher.stop(deadline);
        long left = outbox.pending();
        outbox.close();
        if (left > 0) {
            log.warn("Kafka event sink closed with {} events not yet acknowledged; they stay in {} for the next start",
                    left, config.outbox().dir());
        } else {
            log.info("Kafka event sink closed; every event was acknowledged");
        }
    }

    /** Tests: stop at once, as a killed process would (no flush, no checkpoint, files left as they are). */
    void halt() {
        closed = true;
        outbox.stopAccepting();
        publisher.halt();
        outbox.halt();
    }
}
