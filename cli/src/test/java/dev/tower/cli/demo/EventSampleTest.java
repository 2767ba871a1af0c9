package dev.tower.cli.demo;

import dev.tower.api.events.ClusterEventView;
import dev.tower.api.model.TaskState;
import dev.tower.manager.core.ClusterEvent;
import dev.tower.manager.core.ClusterEvents;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class EventSampleTest {
    private long seq;

    private ClusterEvent event(String type, Object data) {
        return new ClusterEvent("master-1-" + (++seq), type, "s" + seq, type + " #" + seq, data, 1_700_000_000_000L);
    }

    private static ClusterEvents.TaskStatusChanged status(TaskState state) {
        return new ClusterEvents.TaskStatusChanged("fw", "t", "a", state, null, null, null, null, null, null, 0);
    }

    @Test
    void keepsTheFirstOfEachKindInPublishingOrderAndCountsAll() {
        EventSample sample = new EventSample();
        sample.publish(event(ClusterEvents.MASTER_ELECTED, Map.of()));
        sample.publish(event(ClusterEvents.OFFER_MADE, Map.of()));
        sample.publish(event(ClusterEvents.OFFER_MADE, Map.of()));
        sample.publish(event(ClusterEvents.TASK_STATUS, status(TaskState.STAGING)));
        sample.publish(event(ClusterEvents.TASK_STATUS, status(TaskState.RUNNING)));
        sample.publish(event(ClusterEvents.TASK_STATUS, status(TaskState.RUNNING)));
        sample.publish(event(ClusterEvents.AGENT_ADDED, Map.of()));
        sample.publish(event("weights.updated", Map.of()));

        assertThat(sample.total()).isEqualTo(8);
        assertThat(sample.sample()).extracting(ClusterEventView::id)
                .containsExactly("master-1-1", "master-1-2", "master-1-5", "master-1-7");
        assertThat(sample.sample().get(0).time()).isEqualTo("2023-11-14T22:13:20.000Z");
    }
}
