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

    /**
     * Publishes every event of {@code master} to Kafka at {@code bootstrap}, through a durable outbox under
     * {@code workDir}: a Kafka outage delays delivery but never blocks the master or loses events.
     */
    KafkaEventSink attach(Master master, String bootstrap, Path workDir, String source) {
        if (partitions < 1) {
            throw new IllegalArgumentException("--kafka-partitions must be at least 1");
        }
        try {
            KafkaEventSink sink = KafkaEventSink.start(KafkaEventsConfig.defaults(bootstrap, workDir.resolve("outbox"))
                    .withSource(source).withTopics(eventsTopic, auditTopic).withPartitions(partitions));
            master.events().add(sink);
            return sink;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the event outbox in " + workDir + ": " + e.getMessage(), e);
        }
    }
}
