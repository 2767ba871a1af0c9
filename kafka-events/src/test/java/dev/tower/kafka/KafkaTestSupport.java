package dev.tower.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.codec.Json;
import dev.tower.manager.core.ClusterEvent;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Events shaped like a task's life, and a consumer that checks what reached Kafka. */
final class KafkaTestSupport {
    static final String[] STATES = {"TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"};

    private KafkaTestSupport() {
    }

    record TaskStatus(String frameworkId, String taskId, String state, long seq, String agentId) {
    }

    /**
     * The {@code n}th event of a run of task lifecycles: {@code tasks} tasks at a time, each through the four states,
     * interleaved (task 0 STAGING, task 1 STAGING, ..., task 0 STARTING, ...). Every 50th event is an audit record.
     */
    static ClusterEvent event(String run, long n, int tasks) {
        long round = n / tasks;
        long task = (round / STATES.length) * tasks + n % tasks;
        String state = STATES[(int) (round % STATES.length)];
        String id = run + "-" + n;
        if (n % 50 == 49) {
            return new ClusterEvent(id, "audit.kill", "fw-1/task-" + task, "operator killed task " + task,
                    Map.of("principal", "ops", "seq", n), System.currentTimeMillis());
        }
        String subject = "fw-1/task-" + task;
        return new ClusterEvent(id, "task.status", subject, "task " + task + " is " + state,
                new TaskStatus("fw-1", "task-" + task, state, n, "agent-" + (task % 7)), System.currentTimeMillis());
    }

    /** A CloudEvent as read back: where it was, its key, id, subject and the publish sequence number. */
    record Seen(String topic, int partition, long offset, String key, String id, String type, String subject, long seq,
                JsonNode json) {
    }

    /** Reads {@code topics} from the beginning until every id in {@code expected} was seen, or the timeout. */
    static List<Seen> consume(String bootstrap, Collection<String> topics, Set<String> expected, Duration timeout) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        List<Seen> out = new ArrayList<>();
        Set<String> missing = new HashSet<>(expected);
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : topics) {
                List<PartitionInfo> infos = c.partitionsFor(t, Duration.ofSeconds(10));
                for (PartitionInfo i : infos) {
                    parts.add(new TopicPartition(t, i.partition()));
                }
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            while (!missing.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    JsonNode json = Json.mapper().readTree(r.value());
                    String id = json.get("id").asText();
                    JsonNode data = json.get("data");
                    long seq = data.has("seq") ? data.get("seq").asLong() : -1;
                    out.add(new Seen(r.topic(), r.partition(), r.offset(),
                            new String(r.key(), StandardCharsets.UTF_8), id, json.get("type").asText(),
                            json.path("subject").asText(null), seq, json));
                    missing.remove(id);
                }
            }
            // Anything after the last expected one (duplicates) that is already there.
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                JsonNode json = Json.mapper().readTree(r.value());
                out.add(new Seen(r.topic(), r.partition(), r.offset(), new String(r.key(), StandardCharsets.UTF_8),
                        json.get("id").asText(), json.get("type").asText(), json.path("subject").asText(null),
                        json.get("data").path("seq").asLong(-1), json));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** Statistics of a consumed run, checked against what was published. */
    record Check(int distinct, int duplicates, int missing) {
    }

    /**
     * Checks that every one of {@code published} arrived, and that per key the first copies of the events are in
     * publish order (their seq rises). Returns the counts.
     */
    static Check check(List<Seen> seen, List<ClusterEvent> published) {
        Map<String, Seen> first = new LinkedHashMap<>();
        int duplicates = 0;
        Map<String, List<Long>> perKey = new HashMap<>();
        for (Seen s : seen) {
            if (first.putIfAbsent(s.id(), s) != null) {
                duplicates++;
                continue;
            }
            perKey.computeIfAbsent(s.topic() + "|" + s.key(), k -> new ArrayList<>()).add(s.seq());
        }
        // Records of one key come from one partition, read in offset order: first copies must have rising seq.
        for (Map.Entry<String, List<Long>> e : perKey.entrySet()) {
            List<Long> seqs = e.getValue();
            for (int i = 1; i < seqs.size(); i++) {
                assertThat(seqs.get(i)).as("order of key %s: %s", e.getKey(), seqs).isGreaterThan(seqs.get(i - 1));
            }
        }
        int missing = 0;
        for (ClusterEvent e : published) {
            Seen s = first.get(e.id());
            if (s == null) {
                missing++;
                continue;
            }
            assertThat(s.key()).isEqualTo(e.subject());
            assertThat(s.type()).isEqualTo("dev.tower." + e.type());
        }
        return new Check(first.size(), duplicates, missing);
    }

    /** A child JVM on the tests' class path running {@code main}; its stdout lines can be awaited. */
    static final class Child implements AutoCloseable {
        final Process process;
        private final BufferedReader out;

        Child(Class<?> main, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                    "-cp", System.getProperty("java.class.path"), main.getName()));
            cmd.addAll(List.of(args));
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        /** The next line starting with {@code prefix} (other lines are echoed). */
        String await(String prefix, Duration timeout) throws IOException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                String line = out.readLine();
                if (line == null) {
                    throw new IOException("child exited before printing " + prefix);
                }
                if (line.startsWith(prefix)) {
                    return line;
                }
                System.out.println("[child] " + line);
            }
            throw new IOException("child did not print " + prefix + " in " + timeout);
        }

        /** SIGKILL. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            kill();
        }
    }

    private static final class Path {
        static java.nio.file.Path of(String first, String... more) {
            return java.nio.file.Path.of(first, more);
        }
    }
}
