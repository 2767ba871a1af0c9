package dev.tower.kafka;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the master's events reach Kafka. Start from {@link #defaults(String, Path)}:
 * <pre>{@code
 * var config = KafkaEventsConfig.defaults("kafka1:9092,kafka2:9092", workDir.resolve("outbox"))
 *         .withSource("tower://" + clusterName);
 * master.events().add(KafkaEventSink.start(config));
 * }</pre>
 *
 * @param bootstrapServers Kafka's {@code bootstrap.servers}
 * @param source the CloudEvents {@code source} of every event, e.g. {@code tower://master.example:5050} or the
 *               {@code zk://} URL of a highly available cluster; the same for all masters of one cluster
 * @param eventsTopic topic for state changes (default {@code tower.events})
 * @param auditTopic topic for {@code audit.*} events (default {@code tower.audit})
 * @param partitions partitions of each topic when Tower creates it (default 3); events are keyed by subject
 * @param replicationFactor replication factor when Tower creates a topic (default 1)
 * @param createTopics create the topics if absent (default true)
 * @param outbox the durable outbox: directory (the master's work dir + {@code /outbox}), bound (1 GiB), fsync policy
 * @param closeTimeout how long {@link KafkaEventSink#close()} tries to deliver what is pending (default 5 s)
 * @param producerProperties extra Kafka producer settings (e.g. {@code compression.type}, {@code delivery.timeout.ms},
 *                           security); {@code acks}, idempotence and key/value serialisers cannot be changed
 */
public record KafkaEventsConfig(String bootstrapServers, String source, String eventsTopic, String auditTopic,
                                int partitions, short replicationFactor, boolean createTopics, Outbox.Options outbox,
                                Duration closeTimeout, Map<String, String> producerProperties) {
    public static final String DEFAULT_EVENTS_TOPIC = "tower.events";
    public static final String DEFAULT_AUDIT_TOPIC = "tower.audit";

    public KafkaEventsConfig {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("Kafka bootstrap servers are required");
        }
        if (source == null || source.isBlank() || eventsTopic == null || eventsTopic.isBlank() || auditTopic == null
                || auditTopic.isBlank()) {
            throw new IllegalArgumentException("source and topic names are required");
        }
        if (partitions < 1 || replicationFactor < 1) {
            throw new IllegalArgumentException("partitions and replication factor must be at least 1");
        }
        producerProperties = Map.copyOf(producerProperties);
    }

    public static KafkaEventsConfig defaults(String bootstrapServers, Path outboxDir) {
        return new KafkaEventsConfig(bootstrapServers, "tower://localhost", DEFAULT_EVENTS_TOPIC, DEFAULT_AUDIT_TOPIC,
                3, (short) 1, true, Outbox.Options.defaults(outboxDir), Duration.ofSeconds(5), Map.of());
    }

    public KafkaEventsConfig withSource(String v) {
        return new KafkaEventsConfig(bootstrapServers, v, eventsTopic, auditTopic, partitions, replicationFactor,
                createTopics, outbox, closeTimeout, producerProperties);
    }

    public KafkaEventsConfig withTopics(String events, String audit) {
        return new KafkaEventsConfig(bootstrapServers, source, events, audit, partitions, replicationFactor,
                createTopics, outbox, closeTimeout, producerProperties);
    }

    public KafkaEventsConfig withPartitions(int v) {
        return new KafkaEventsConfig(bootstrapServers, source, eventsTopic, auditTopic, v, replicationFactor,
                createTopics, outbox, closeTimeout, producerProperties);
    }

    public KafkaEventsConfig withReplicationFactor(int v) {
        return new KafkaEventsConfig(bootstrapServers, source, eventsTopic, auditTopic, partitions, (short) v,
                createTopics, outbox, closeTimeout, producerProperties);
    }

    public KafkaEventsConfig withCreateTopics(boolean v) {
        return new KafkaEventsConfig(bootstrapServers, source, eventsTopic, auditTopic, partitions, replicationFactor,
                v, outbox, closeTimeout, producerProperties);
    }

    public KafkaEventsConfig withOutbox(Outbox.Options v) {
        return new KafkaEventsConfig(bootstrapServers, source, eventsTopic, auditTopic, partitions, replicationFactor,
                createTopics, v, closeTimeout, producerProperties);
    }

    /** Bound on the outbox (retained segment files + buffered events); beyond it new events are dropped. */
    public KafkaEventsConfig withOutboxMaxBytes(long v) {
        return withOutbox(outbox.withMaxBytes(v));
    }

    public KafkaEventsConfig withCloseTimeout(Duration v) {
        return new KafkaEventsConfig(bootstrapServers, source, eventsTopic, auditTopic, partitions, replicationFactor,
                createTopics, outbox, v, producerProperties);
    }

    public KafkaEventsConfig withProducerProperty(String key, String value) {
        Map<String, String> m = new LinkedHashMap<>(producerProperties);
        m.put(key, value);
        return new KafkaEventsConfig(bootstrapServers, source, eventsTopic, auditTopic, partitions, replicationFactor,
                createTopics, outbox, closeTimeout, m);
    }
}
