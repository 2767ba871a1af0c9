package dev.tower.kafka;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The broker child JVM: start, restart on the same data, and no broker outliving its parent. */
@Tag("kafka")
class KafkaBrokerTest {
    @TempDir
    Path dir;

    @Test
    void restartsOnTheSameDataAndPorts() throws Exception {
        try (KafkaBroker broker = KafkaBroker.builder(dir.resolve("kafka")).start()) {
            String bootstrap = broker.bootstrapServers();
            assertThat(bootstrap).startsWith("127.0.0.1:");
            assertThat(Files.readString(broker.logFile())).contains("Kafka Server started");
            produce(bootstrap, "kept", 10);
            long pid = broker.pid().orElseThrow();

            broker.restart();
            assertThat(broker.bootstrapServers()).isEqualTo(bootstrap);
            assertThat(broker.pid().orElseThrow()).isNotEqualTo(pid);
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < 10; i++) {
                ids.add("kept-" + i);
            }
            List<KafkaTestSupport.Seen> seen = KafkaTestSupport.consume(bootstrap, List.of("kept"), ids,
                    Duration.ofSeconds(30));
            assertThat(seen).extracting(KafkaTestSupport.Seen::id).containsExactlyInAnyOrderElementsOf(ids);

            broker.kill();
            assertThat(broker.isRunning()).isFalse();
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            broker.start();
            assertThat(KafkaTestSupport.consume(bootstrap, List.of("kept"), ids, Duration.ofSeconds(30))).hasSize(10);
        }
        assertThat(dir.resolve("kafka").resolve("broker.pid")).doesNotExist();
    }

    @Test
    void theBrokerStopsWhenTheProcessThatStartedItDies() throws Exception {
        try (KafkaTestSupport.Child parent = new KafkaTestSupport.Child(BrokerParentMain.class,
                dir.resolve("orphan").toString())) {
            String line = parent.await("BROKER ", Duration.ofSeconds(120));
            long brokerPid = Long.parseLong(line.split(" ")[1]);
            Optional<ProcessHandle> broker = ProcessHandle.of(brokerPid);
            assertThat(broker).isPresent();
            parent.kill();
            // BrokerLauncher notices and exits through Kafka's shutdown hook.
            broker.get().onExit().get(60, TimeUnit.SECONDS);
            assertThat(broker.get().isAlive()).isFalse();
        }
    }

    @Test
    void missingJarsAreExplained() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        String before = System.getProperty("tower.kafka.lib");
        System.setProperty("tower.kafka.lib", empty.toString());
        try {
            assertThatThrownBy(KafkaBroker::runtimeClasspath).isInstanceOf(IOException.class)
                    .hasMessageContaining("no jars in " + empty);
        } finally {
            if (before == null) {
                System.clearProperty("tower.kafka.lib");
            } else {
                System.setProperty("tower.kafka.lib", before);
            }
        }
        assertThat(KafkaBroker.runtimeClasspath()).anyMatch(p -> p.getFileName().toString().startsWith("kafka_2.13-"))
                .anyMatch(p -> p.getFileName().toString().startsWith("kafka-clients-"))
                .anyMatch(p -> p.getFileName().toString().startsWith("log4j-slf4j2-impl-"));
    }

    static void produce(String bootstrap, String topic, int n) throws Exception {
        Map<String, Object> p = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < n; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + i,
                        "{\"id\":\"" + topic + "-" + i + "\",\"type\":\"t\",\"data\":{\"seq\":" + i + "}}")).get();
            }
        }
    }

    /** A process that starts a broker, prints its pid, and waits to be killed. */
    public static final class BrokerParentMain {
        public static void main(String[] args) throws Exception {
            KafkaBroker broker = KafkaBroker.builder(Path.of(args[0])).start();
            System.out.println("BROKER " + broker.pid().orElseThrow());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
