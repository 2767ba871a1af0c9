package dev.tower.manager.core;

import dev.tower.api.agent.AgentCall;
import dev.tower.api.operator.OperatorCall;
import dev.tower.api.scheduler.SchedulerCall;

import java.util.function.Function;

/**
 * Everything that can change the master's state. HTTP threads and timers turn requests into commands and enqueue
 * them; only the core thread handles them. Connection ids are chosen by the transport when a stream opens; they
 * double as the {@code Tower-Stream-Id} clients send back.
 */
public sealed interface Command {

    record SubscribeAgent(String connectionId, AgentCall.Subscribe call) implements Command {
    }

    record AgentStreamClosed(String connectionId) implements Command {
    }

    /** UPDATE or HEARTBEAT, sent on the agent stream {@code streamId}. */
    record FromAgent(String streamId, AgentCall call) implements Command {
    }

    record SubscribeFramework(String connectionId, SchedulerCall.Subscribe call) implements Command {
    }

    record FrameworkStreamClosed(String connectionId) implements Command {
    }

    /** Any scheduler call but SUBSCRIBE, sent on the framework stream {@code streamId}. */
    record FromFramework(String streamId, SchedulerCall call) implements Command {
    }

    record Operator(OperatorCall call) implements Command {
    }

    /** Time passed: fire due timers and run a batch allocation cycle. */
    record Tick() implements Command {
    }

    /** {@code POST /v1/submissions/create}: a driver to run in cluster deploy mode; replies its submission id. */
    record SubmitDriver(DriverSpec spec) implements Command {
    }

    /** {@code POST /v1/submissions/kill/ID}; replies a {@link DriverKill}, 404 for an unknown id. */
    record KillDriver(String driverId) implements Command {
    }

    /** The dispatcher would launch {@code taskId} for the driver: 200 if it may, 409 with the reason if not. */
    record ClaimDriver(String driverId, String frameworkId, String taskId, String agentId, String hostname)
            implements Command {
    }

    /** A claimed launch that did not happen. */
    record UnclaimDriver(String driverId, String taskId, String why) implements Command {
    }

    /** A status update of one of the dispatcher's driver tasks. */
    record DriverTaskStatus(dev.tower.api.model.TaskStatus status) implements Command {
    }

    /** A read of the state, run on the core thread so it sees a consistent picture. */
    record Query(Function<MasterCore, Object> read) implements Command {
    }
}
