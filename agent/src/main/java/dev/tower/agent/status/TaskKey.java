package dev.tower.agent.status;

/** A task is named by its framework and its id; task ids are unique only within a framework. */
public record TaskKey(String frameworkId, String taskId) {
    @Override
    public String toString() {
        return "task " + taskId + " of framework " + frameworkId;
    }
}
