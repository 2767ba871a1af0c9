package dev.tower.api.scheduler;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.tower.api.model.Offer;
import dev.tower.api.model.TaskStatus;

import java.util.List;

/** Events on a framework's SSE stream; the SSE event name equals {@code type}. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = SchedulerEvent.Subscribed.class, name = "SUBSCRIBED"),
        @JsonSubTypes.Type(value = SchedulerEvent.Offers.class, name = "OFFERS"),
        @JsonSubTypes.Type(value = SchedulerEvent.Rescind.class, name = "RESCIND"),
        @JsonSubTypes.Type(value = SchedulerEvent.Update.class, name = "UPDATE"),
        @JsonSubTypes.Type(value = SchedulerEvent.Failure.class, name = "FAILURE"),
        @JsonSubTypes.Type(value = SchedulerEvent.Error.class, name = "ERROR"),
        @JsonSubTypes.Type(value = SchedulerEvent.Heartbeat.class, name = "HEARTBEAT"),
})
public sealed interface SchedulerEvent {

    /**
     * @param streamId the value to send as the {@code Tower-Stream-Id} header on later calls
     * @param epoch the leading master's epoch (0 without ZooKeeper); a client that has seen a higher one ignores
     *              this master, which has been deposed
     */
    record Subscribed(String frameworkId, String streamId, double heartbeatIntervalSeconds, long epoch)
            implements SchedulerEvent {
        public Subscribed(String frameworkId, String streamId, double heartbeatIntervalSeconds) {
            this(frameworkId, streamId, heartbeatIntervalSeconds, 0);
        }
    }

    record Offers(List<Offer> offers) implements SchedulerEvent {
        public Offers {
            offers = List.copyOf(offers);
        }
    }

    record Rescind(String offerId) implements SchedulerEvent {
    }

    record Update(TaskStatus status) implements SchedulerEvent {
    }

    /** An agent was lost for good. */
    record Failure(String agentId) implements SchedulerEvent {
    }

    /** The master ended the framework (teardown, failover timeout); the stream closes after it. */
    record Error(String message) implements SchedulerEvent {
    }

    record Heartbeat() implements SchedulerEvent {
    }
}
