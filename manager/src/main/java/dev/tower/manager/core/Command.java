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

    /** A read of the state, run on the core thread so it sees a consistent picture. */
    record Query(Function<MasterCore, Object> read) implements Command {
    }
}
