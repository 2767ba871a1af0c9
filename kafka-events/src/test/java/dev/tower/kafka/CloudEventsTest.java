package dev.tower.kafka;

import dev.tower.api.codec.Json;
import dev.tower.manager.core.ClusterEvent;
import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CloudEventsTest {
    private static final EventFormat FORMAT = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);

    @Test
    void aClusterEventIsAStructuredCloudEventTheSdkReads() {
        long t = 1_790_000_000_123L;
        ClusterEvent e = new ClusterEvent("m1-42", "task.status", "fw-1/task-7", "task 7 is TASK_RUNNING",
                new KafkaTestSupport.TaskStatus("fw-1", "task-7", "TASK_RUNNING", 42, "agent-3"), t);
        byte[] json = CloudEvents.structured(e, "tower://master.example:5050");

        CloudEvent ce = FORMAT.deserialize(json);
        assertThat(ce.getSpecVersion()).isEqualTo(SpecVersion.V1);
        assertThat(ce.getId()).isEqualTo("m1-42");
        assertThat(ce.getSource()).isEqualTo(URI.create("tower://master.example:5050"));
        assertThat(ce.getType()).isEqualTo("dev.tower.task.status");
        assertThat(ce.getSubject()).isEqualTo("fw-1/task-7");
        assertThat(ce.getTime().toInstant()).isEqualTo(Instant.ofEpochMilli(t));
        assertThat(ce.getDataContentType()).isEqualTo("application/json");
        assertThat(ce.getExtension("summary")).isEqualTo("task 7 is TASK_RUNNING");
        assertThat(new String(ce.getData().toBytes(), StandardCharsets.UTF_8))
                .isEqualTo("{\"frameworkId\":\"fw-1\",\"taskId\":\"task-7\",\"state\":\"TASK_RUNNING\",\"seq\":42,"
                        + "\"agentId\":\"agent-3\"}");
        // The attributes come first, in the order of the spec; data is an embedded object, not a string.
        assertThat(new String(json, StandardCharsets.UTF_8)).startsWith("{\"specversion\":\"1.0\",\"id\":\"m1-42\","
                + "\"source\":\"tower://master.example:5050\",\"type\":\"dev.tower.task.status\","
                + "\"subject\":\"fw-1/task-7\",\"time\":\"2026-09-21T");
        ClusterEvent whole = new ClusterEvent("m1-43", "agent.added", "agent-1", "added", null, 1_790_000_000_000L);
        assertThat(new String(CloudEvents.structured(whole, "tower://x"), StandardCharsets.UTF_8))
                .contains("\"time\":\"2026-09-21T14:13:20.000Z\"");
    }

    @Test
    void eventsWithoutSubjectOrDataAreStillValid() {
        ClusterEvent e = new ClusterEvent("m1-1", "master.elected", null, "elected", null, 0);
        CloudEvent ce = FORMAT.deserialize(CloudEvents.structured(e, "tower://x"));
        assertThat(ce.getSubject()).isNull();
        assertThat(ce.getData()).isNull();
        assertThat(ce.getType()).isEqualTo("dev.tower.master.elected");
    }

    @Test
    void dataJacksonCannotWriteKeepsTheEventWithItsSummary() {
        Object unwritable = new Object() {
            public Object getSelf() {
                throw new IllegalStateException("boom");
            }
        };
        ClusterEvent e = new ClusterEvent("m1-2", "agent.added", "agent-1", "agent agent-1 added", unwritable, 0);
        CloudEvent ce = FORMAT.deserialize(CloudEvents.structured(e, "tower://x"));
        assertThat(ce.getId()).isEqualTo("m1-2");
        assertThat(new String(ce.getData().toBytes(), StandardCharsets.UTF_8)).contains("agent agent-1 added")
                .contains("not serialisable");
    }

    @Test
    void auditEventsAreMarkedForTheAuditTopicAndKeyedBySubject() throws Exception {
        ClusterEvent audit = new ClusterEvent("m1-3", "audit.kill", "fw-1/task-1", "ops killed task-1",
                Map.of("principal", "ops"), 0);
        byte[] p = KafkaEventSink.encode(audit, "tower://x");
        assertThat(p[0]).isEqualTo(KafkaPublisher.KIND_AUDIT);
        int keyLength = Outbox.getInt(p, 1);
        assertThat(new String(p, 5, keyLength, StandardCharsets.UTF_8)).isEqualTo("fw-1/task-1");
        assertThat(Json.mapper().readTree(new String(p, 5 + keyLength, p.length - 5 - keyLength,
                StandardCharsets.UTF_8)).get("type").asText()).isEqualTo("dev.tower.audit.kill");

        ClusterEvent noSubject = new ClusterEvent("m1-4", "master.elected", null, "elected", null, 0);
        byte[] q = KafkaEventSink.encode(noSubject, "tower://x");
        assertThat(q[0]).isEqualTo(KafkaPublisher.KIND_EVENTS);
        assertThat(new String(q, 5, Outbox.getInt(q, 1), StandardCharsets.UTF_8)).isEqualTo("master.elected");
    }
}
