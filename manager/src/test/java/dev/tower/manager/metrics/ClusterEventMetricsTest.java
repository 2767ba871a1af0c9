package dev.tower.manager.metrics;

import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.manager.core.ClusterEvent;
import dev.tower.manager.core.ClusterEvents;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.InstantSource;

import static dev.tower.manager.metrics.Exposition.value;
import static org.assertj.core.api.Assertions.assertThat;

class ClusterEventMetricsTest {
    private static final long NOW = 1_800_000_000_000L;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final ClusterEventMetrics metrics = new ClusterEventMetrics(registry,
            InstantSource.fixed(Instant.ofEpochMilli(NOW)));

    @Test
    void offersAreCountedByWhatBecameOfThem() {
        publish(ClusterEvents.OFFER_MADE, null);
        publish(ClusterEvents.OFFER_MADE, null);
        publish(ClusterEvents.OFFER_MADE, null);
        publish(ClusterEvents.OFFER_DECLINED, null);
        publish(ClusterEvents.OFFER_RESCINDED, null);
        publish(ClusterEvents.OFFER_ACCEPTED, null);
        String text = Exposition.text(registry);
        assertThat(value(text, "tower_master_offers_made_total")).isEqualTo(3);
        assertThat(value(text, "tower_master_offers_declined_total")).isEqualTo(1);
        assertThat(value(text, "tower_master_offers_rescinded_total")).isEqualTo(1);
    }

    @Test
    void statusUpdatesAreCountedByStateAndAgentOnesTimedFromTheAgentsTimestamp() {
        publish(ClusterEvents.TASK_STATUS, status(TaskState.RUNNING, TaskStatus.Source.AGENT, NOW - 20));
        publish(ClusterEvents.TASK_STATUS, status(TaskState.FINISHED, TaskStatus.Source.AGENT, NOW - 3000));
        publish(ClusterEvents.TASK_STATUS, status(TaskState.LOST, TaskStatus.Source.MASTER, NOW - 5));
        // A clock behind the master's counts as no delay rather than a negative one.
        publish(ClusterEvents.TASK_STATUS, status(TaskState.RUNNING, TaskStatus.Source.AGENT, NOW + 500));
        String text = Exposition.text(registry);
        assertThat(value(text, "tower_master_task_status_updates_total{state=\"RUNNING\"}")).isEqualTo(2);
        assertThat(value(text, "tower_master_task_status_updates_total{state=\"FINISHED\"}")).isEqualTo(1);
        assertThat(value(text, "tower_master_task_status_updates_total{state=\"LOST\"}")).isEqualTo(1);
        assertThat(value(text, "tower_master_task_status_updates_total{state=\"FAILED\"}")).isZero();
        assertThat(value(text, "tower_master_status_update_latency_seconds_count")).isEqualTo(3);
        assertThat(value(text, "tower_master_status_update_latency_seconds_sum")).isEqualTo(3.02,
                org.assertj.core.data.Offset.offset(1e-9));
        assertThat(value(text, "tower_master_status_update_latency_seconds_bucket{le=\"0.001\"}")).isEqualTo(1);
        assertThat(value(text, "tower_master_status_update_latency_seconds_bucket{le=\"0.025\"}")).isEqualTo(2);
        assertThat(value(text, "tower_master_status_update_latency_seconds_bucket{le=\"5.0\"}")).isEqualTo(3);
    }

    private static ClusterEvents.TaskStatusChanged status(TaskState state, TaskStatus.Source source, long at) {
        return new ClusterEvents.TaskStatusChanged("f1", "t1", "a1", state, TaskState.STAGING, null, null, null,
                source, "u1", at);
    }

    private void publish(String type, Object data) {
        metrics.publish(new ClusterEvent(type, "x", "summary", data, NOW));
    }
}
