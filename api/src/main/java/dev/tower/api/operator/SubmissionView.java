package dev.tower.api.operator;

import java.util.List;

/**
 * A Spark application submitted in cluster deploy mode ({@code POST /v1/submissions/create}) and the state of its
 * driver, as {@code GET /api/v1/submissions} shows it.
 *
 * @param driverState Spark's name for the driver's state: SUBMITTED (waiting for an agent), RUNNING, RELAUNCHING
 *                    (supervised, failed, to be started again), FINISHED, FAILED, KILLED, ERROR
 * @param launches how many times a driver task was started for it
 * @param taskId the driver's current task (its last one once it ended); null before the first launch
 * @param agentId the agent of that task
 * @param frameworkId the framework the driver tasks belong to (the master's driver dispatcher)
 * @param message why the driver is in this state, when there is something to say
 * @param relaunchAt when a RELAUNCHING driver is started again (epoch millis)
 * @param taskIds every driver task started for it, oldest first
 */
public record SubmissionView(
        String submissionId,
        String appName,
        String mainClass,
        String appResource,
        List<String> appArgs,
        boolean supervise,
        String driverState,
        int launches,
        String taskId,
        String agentId,
        String hostname,
        String frameworkId,
        String message,
        long submittedAt,
        Long relaunchAt,
        Long endedAt,
        List<String> taskIds) {
    public SubmissionView {
        appArgs = appArgs == null ? List.of() : List.copyOf(appArgs);
        taskIds = taskIds == null ? List.of() : List.copyOf(taskIds);
    }
}
