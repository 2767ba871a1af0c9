package dev.tower.manager.metrics;

import dev.tower.api.agent.AgentCall;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.manager.core.Command;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.tower.manager.metrics.Exposition.value;
import static org.assertj.core.api.Assertions.assertThat;

class CoreCommandMetricsTest {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final CoreCommandMetrics metrics = new CoreCommandMetrics(registry);

    @Test
    void aTickIsAnAllocationCycle() {
        metrics.handled(new Command.Tick(), 3_000_000);
        metrics.handled(new Command.Tick(), 40_000_000);
        String text = Exposition.text(registry);
        assertThat(value(text, "tower_master_allocation_cycle_seconds_count")).isEqualTo(2);
        assertThat(value(text, "tower_master_allocation_cycle_seconds_sum")).isEqualTo(0.043, within());
        assertThat(value(text, "tower_master_allocation_cycle_seconds_bucket{le=\"0.005\"}")).isEqualTo(1);
        assertThat(value(text, "tower_master_allocation_cycle_seconds_bucket{le=\"0.05\"}")).isEqualTo(2);
        assertThat(value(text, "tower_master_core_command_seconds_count{command=\"tick\"}")).isEqualTo(2);
    }

    @Test
    void schedulerAndAgentCallsAreCountedByCallType() {
        metrics.handled(new Command.FromFramework("s1", new SchedulerCall.Decline("f1", List.of("o1"), null)), 1000);
        metrics.handled(new Command.FromFramework("s1", new SchedulerCall.Decline("f1", List.of("o2"), null)), 1000);
        metrics.handled(new Command.FromAgent("s2", new AgentCall.Heartbeat("a1")), 1000);
        metrics.handled(new Command.Query(core -> null), 1000);
        String text = Exposition.text(registry);
        assertThat(value(text, "tower_master_core_command_seconds_count{command=\"scheduler_decline\"}")).isEqualTo(2);
        assertThat(value(text, "tower_master_core_command_seconds_count{command=\"agent_heartbeat\"}")).isEqualTo(1);
        assertThat(value(text, "tower_master_core_command_seconds_count{command=\"query\"}")).isEqualTo(1);
        assertThat(value(text, "tower_master_allocation_cycle_seconds_count")).isZero();
    }

    @Test
    void commandLabelsAreSnakeCase() {
        assertThat(CoreCommandMetrics.snakeCase("SubscribeFramework")).isEqualTo("subscribe_framework");
        assertThat(CoreCommandMetrics.snakeCase("Tick")).isEqualTo("tick");
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(1e-9);
    }
}
