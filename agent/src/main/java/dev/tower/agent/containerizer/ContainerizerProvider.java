package dev.tower.agent.containerizer;

import dev.tower.agent.AgentConfig;

import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * Makes a containerizer other than the built-in process one (Docker's, in docker-support), found with
 * {@link java.util.ServiceLoader}. The agent asks each provider at start-up; one whose engine does not answer says why,
 * and the agent logs it and runs without it.
 */
public interface ContainerizerProvider {

    /** The containerizer's name: {@code docker}. */
    String name();

    /** The containerizer, or why there is none on this machine. Must not block for long (a few seconds at most). */
    Result create(Context context);

    /** What a containerizer gets from its agent. */
    record Context(AgentConfig config, ScheduledExecutorService timer, Supplier<String> agentId) {
    }

    /** Either a containerizer (with a line describing it) or the reason there is none. */
    record Result(Containerizer containerizer, String description) {
        public static Result available(Containerizer c, String description) {
            return new Result(c, description);
        }

        public static Result unavailable(String reason) {
            return new Result(null, reason);
        }

        public boolean isAvailable() {
            return containerizer != null;
        }
    }
}
