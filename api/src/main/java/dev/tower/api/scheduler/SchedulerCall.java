package dev.tower.api.scheduler;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.tower.api.model.Filters;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.TaskInfo;

import java.util.List;

/**
 * Calls a framework POSTs to {@code /api/v1/scheduler}. SUBSCRIBE opens the event stream; every other call carries
 * the {@code Tower-Stream-Id} header of that stream and the framework's id.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = SchedulerCall.Subscribe.class, name = "SUBSCRIBE"),
        @JsonSubTypes.Type(value = SchedulerCall.Accept.class, name = "ACCEPT"),
        @JsonSubTypes.Type(value = SchedulerCall.Decline.class, name = "DECLINE"),
        @JsonSubTypes.Type(value = SchedulerCall.Kill.class, name = "KILL"),
        @JsonSubTypes.Type(value = SchedulerCall.Acknowledge.class, name = "ACKNOWLEDGE"),
        @JsonSubTypes.Type(value = SchedulerCall.Reconcile.class, name = "RECONCILE"),
        @JsonSubTypes.Type(value = SchedulerCall.Revive.class, name = "REVIVE"),
        @JsonSubTypes.Type(value = SchedulerCall.Suppress.class, name = "SUPPRESS"),
        @JsonSubTypes.Type(value = SchedulerCall.Teardown.class, name = "TEARDOWN"),
})
public sealed interface SchedulerCall {

    /** The framework making the call; for SUBSCRIBE, the id it re-subscribes with (null the first time). */
    String frameworkId();

    record Subscribe(FrameworkInfo framework) implements SchedulerCall {
        @Override
        public String frameworkId() {
            return framework == null ? null : framework.id();
        }
    }

    record Accept(String frameworkId, List<String> offerIds, List<Operation> operations, Filters filters)
            implements SchedulerCall {
        public Accept {
            offerIds = offerIds == null ? List.of() : List.copyOf(offerIds);
            operations = operations == null ? List.of() : List.copyOf(operations);
        }

        public static Accept launch(String frameworkId, List<String> offerIds, List<TaskInfo> tasks, Filters filters) {
            return new Accept(frameworkId, offerIds, List.of(new Operation.Launch(tasks)), filters);
        }
    }

    record Decline(String frameworkId, List<String> offerIds, Filters filters) implements SchedulerCall {
        public Decline {
            offerIds = offerIds == null ? List.of() : List.copyOf(offerIds);
        }
    }

    record Kill(String frameworkId, String taskId, String agentId) implements SchedulerCall {
    }

    record Acknowledge(String frameworkId, String agentId, String taskId, String uuid) implements SchedulerCall {
    }

    /** With no tasks: implicit reconciliation (the latest state of every task of the framework). */
    record Reconcile(String frameworkId, List<TaskRef> tasks) implements SchedulerCall {
        public Reconcile {
            tasks = tasks == null ? List.of() : List.copyOf(tasks);
        }

        public record TaskRef(String taskId, String agentId) {
        }
    }

    record Revive(String frameworkId) implements SchedulerCall {
    }

    record Suppress(String frameworkId) implements SchedulerCall {
    }

    record Teardown(String frameworkId) implements SchedulerCall {
    }
}
