package dev.tower.cli;

import dev.tower.kafka.KafkaEventSink;
import dev.tower.kafka.KafkaEventsConfig;
import dev.tower.manager.Master;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The flags that send a master's events to Kafka (a picocli mixin shared by {@code master} and {@code up}). */
public final class KafkaOptions {
    @Option(names = "--events-topic", defaultValue = KafkaEventsConfig.DEFAULT_EVENTS_TOPIC,
            description = "Kafka topic of cluster events (default: ${DEFAULT-VALUE}).")
    String eventsTopic;

    @Option(names = "--audit-topic", defaultValue = KafkaEventsConfig.DEFAULT_AUDIT_TOPIC,
            description = "Kafka topic of audit records (default: ${DEFAULT-VALUE}).")
    String auditTopic;

    @Option(names = "--kafka-partitions", defaultValue = "3",
            description = "Partitions of the topics when Tower creates them (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--kafka-replication-factor", defaultValue = "1",
            description = "Replication factor of the topics when Tower creates them (default: ${DEFAULT-VALUE}; "
                    + "use 3 on a production Kafka cluster).")
    int replicationFactor;

    @Option(names = "--outbox-max-mb", defaultValue = "1024",
            description = "Bound of the master's event outbox, in MiB (default: ${DEFAULT-VALUE}): events wait there "
                    + "while Kafka is unreachable; when it is full new events are dropped, counted and logged, and "
                    + "the master goes on.")
    long outboxMaxMb;

    /**
     * Publishes every event of {@code master} to Kafka at {@code bootstrap}, through a durable outbox under
     * {@code workDir}: a Kafka outage delays delivery but never blocks the master or loses events.
     */
    KafkaEventSink attach(Master master, String bootstrap, Path workDir, String source) {
        validate();
        try {
            KafkaEventSink sink = KafkaEventSink.start(KafkaEventsConfig.defaults(bootstrap, workDir.resolve("outbox"))
                    .withSource(source).withTopics(eventsTopic, auditTopic).withPartitions(partitions)
                    .withReplicationFactor(replicationFactor).withOutboxMaxBytes(outboxMaxMb << 20));
            master.events().add(sink);
            return sink;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the event outbox in " + workDir + ": " + e.getMessage(), e);
        }
    }

    /** Checks the flags, so that a mistake is reported before anything starts. */
    void validate() {
        if (partitions < 1) {
            throw new IllegalArgumentException("--kafka-partitions must be at least 1");
        }
        if (replicationFactor < 1 || replicationFactor > Short.MAX_VALUE) {
            throw new IllegalArgumentException("--kafka-replication-factor must be at least 1");
        }
        if (outboxMaxMb < 1 || outboxMaxMb > (Long.MAX_VALUE >> 20)) {
            throw new IllegalArgumentException("--outbox-max-mb must be at least 1");
        }
    }
}
