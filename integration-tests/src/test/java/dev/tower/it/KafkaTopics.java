package dev.tower.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.codec.Json;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads what a master published to Kafka, as an analyst would: every record of the topics, from the beginning. */
final class KafkaTopics {
    private KafkaTopics() {
    }

    /** One CloudEvent as stored: where, its key, and the event. */
    record Record(String topic, int partition, long offset, String key, JsonNode event) {
        String id() {
            return event.path("id").asText();
        }

        /** The type without the {@code dev.tower.} prefix. */
        String type() {
            return event.path("type").asText().replaceFirst("^dev\\.tower\\.", "");
        }

        String subject() {
            return event.path("subject").asText(null);
        }

        JsonNode data() {
            return event.path("data");
        }

        /** The publishing master's id (ids are {@code <masterId>-<sequence>}). */
        String masterId() {
            return id().substring(0, id().lastIndexOf('-'));
        }

        long sequence() {
            return Long.parseLong(id().substring(id().lastIndexOf('-') + 1));
        }
    }

    /** Every record of {@code topics} up to their end offsets at the time of the call, partition by partition. */
    static List<Record> readAll(String bootstrap, String... topics) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        List<Record> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : topics) {
                for (PartitionInfo i : c.partitionsFor(t, Duration.ofSeconds(20))) {
                    parts.add(new TopicPartition(t, i.partition()));
                }
            }
            assertThat(parts).as("partitions of %s", List.of(topics)).isNotEmpty();
            Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(parts, Duration.ofSeconds(20)));
            c.assign(parts);
            c.seekToBeginning(parts);
            end.values().removeIf(v -> v == 0);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!end.isEmpty()) {
                assertThat(System.nanoTime()).as("read %s to their ends within 60 s", List.of(topics))
                        .isLessThan(deadline);
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(new Record(r.topic(), r.partition(), r.offset(),
                            r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
                            Json.mapper().readTree(r.value())));
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    Long last = end.get(tp);
                    if (last != null && r.offset() + 1 >= last) {
                        end.remove(tp);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The records of one master, by sequence number; fails on a duplicate id (a redelivery). */
    static Map<Long, Record> bySequence(List<Record> records, String masterId) {
        Map<Long, Record> out = new LinkedHashMap<>();
        for (Record r : records) {
            if (r.masterId().equals(masterId)) {
                Record before = out.put(r.sequence(), r);
                assertThat(before).as("event %s delivered twice (%s and %s)", r.id(), before, r).isNull();
            }
        }
        return out;
    }

    /** First copies only: records whose id was seen before are left out. */
    static List<Record> firstCopies(List<Record> records) {
        Map<String, Record> first = new LinkedHashMap<>();
        records.forEach(r -> first.putIfAbsent(r.id(), r));
        return new ArrayList<>(first.values());
    }

    /**
     * Checks that the events of each key were stored in the order the master published them (its sequence numbers
     * rise with the offset), and that the key is the event's subject (its type when it has none).
     */
    static void assertOrderedPerKey(List<Record> records) {
        Map<String, Record> lastOfKey = new HashMap<>();
        for (Record r : records) {
            assertThat(r.key()).as("key of %s", r.id()).isEqualTo(r.subject() != null ? r.subject() : r.type());
            Record last = lastOfKey.put(r.topic() + "|" + r.masterId() + "|" + r.key(), r);
            if (last != null) {
                assertThat(r.sequence()).as("order of key %s: %s (offset %d) after %s (offset %d)", r.key(),
                        r.id(), r.offset(), last.id(), last.offset()).isGreaterThan(last.sequence());
            }
        }
    }
}
