package dev.tower.agent.isolation;

import dev.tower.api.model.Resources;

import java.util.Optional;
import java.util.Set;

/**
 * How this agent limits its process tasks: cgroups, a memory watchdog when it may not write cgroups, or nothing
 * (the default, {@code --no-isolation}). Chosen once at start-up by {@link Isolation#select}.
 */
public interface Isolator {
    Isolator NONE = new Isolator() {
        @Override
        public String description() {
            return "not asked for (tower agent --isolation turns it on); process tasks run without resource limits";
        }

        @Override
        public TaskIsolation isolate(String name, Resources resources) {
            return TaskIsolation.NONE;
        }

        @Override
        public Optional<TaskIsolation> reattach(String name, Resources resources) {
            return Optional.of(TaskIsolation.NONE);
        }
    };

    /** One line for the start-up log. */
    String description();

    /**
     * Prepares the limits of a task about to start ({@code name} from {@link CgroupName}). Throws when they cannot be
     * set up: the task must then not run.
     */
    TaskIsolation isolate(String name, Resources resources) throws IsolationException;

    /** The isolation of a task started by an earlier run of the agent and still running, if it can be found. */
    Optional<TaskIsolation> reattach(String name, Resources resources);

    /** Removes what tasks not in {@code known} (names from {@link CgroupName}) were given, killing what still runs. */
    default void removeUnknown(Set<String> known) {
    }

    /** The agent stops; running tasks keep their isolation. */
    default void close() {
    }
}
