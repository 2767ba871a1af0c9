package dev.tower.spark;

import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The roster of executors, the failure count per agent, and what a task's end means for its executor. */
class ExecutorBookkeepingTest {

    @Test
    void executorsGetIncreasingIdsAndTaskIdsNamingTheApplication() {
        ExecutorRoster roster = new ExecutorRoster("fw-9");
        TowerExecutor a = roster.add("a1", "h1", 2);
        TowerExecutor b = roster.add("a1", "h1", 2);
        TowerExecutor c = roster.add("a2", "h2", 2);
        assertThat(a.executorId()).isEqualTo("1");
        assertThat(c.executorId()).isEqualTo("3");
        assertThat(b.taskId()).isEqualTo("fw-9-executor-2");
        assertThat(roster.byTaskId("fw-9-executor-3")).contains(c);
        assertThat(roster.counts()).isEqualTo(new ExecutorCounts(3, 6, Map.of("a1", 2, "a2", 1)));

        assertThat(roster.markKilling("2")).hasValueSatisfying(k -> assertThat(k.killRequested()).isTrue());
        assertThat(roster.markKilling("42")).isEmpty();
        // A killed executor no longer counts toward the target but holds its cores and place until its task ends.
        assertThat(roster.counts()).isEqualTo(new ExecutorCounts(2, 6, Map.of("a1", 2, "a2", 1)));

        assertThat(roster.ended("fw-9-executor-2")).hasValueSatisfying(e -> assertThat(e.killRequested()).isTrue());
        assertThat(roster.ended("fw-9-executor-2")).isEmpty();
        assertThat(roster.ended("someone-else")).isEmpty();
        assertThat(roster.counts()).isEqualTo(new ExecutorCounts(2, 4, Map.of("a1", 1, "a2", 1)));
        // Ids are never reused.
        assertThat(roster.add("a3", "h3", 2).executorId()).isEqualTo("4");
    }

    @Test
    void anAgentIsExcludedOnceItReachesTheFailureLimitAndSaysSoOnce() {
        AgentFailures failures = new AgentFailures(2);
        assertThat(failures.record("a1")).isFalse();
        assertThat(failures.isExcluded("a1")).isFalse();
        assertThat(failures.record("a2")).isFalse();
        assertThat(failures.record("a1")).isTrue();
        assertThat(failures.record("a1")).isFalse();
        assertThat(failures.failures("a1")).isEqualTo(3);
        assertThat(failures.excluded()).containsExactly("a1");
    }

    private static TaskStatus status(TaskState state, String reason, String message, Integer exit) {
        return new TaskStatus("fw-1-executor-3", "fw-1", "a-7", state, reason, message, exit, "u-1",
                TaskStatus.Source.AGENT, 0);
    }

    private static final TowerExecutor EXECUTOR = new TowerExecutor("3", "fw-1-executor-3", "a-7", "h7", 1, false);

    @Test
    void aFailedExecutorCarriesTowersReasonAndCountsAgainstItsAgent() {
        ExecutorEnd end = ExecutorEnd.of(status(TaskState.FAILED, "REASON_COMMAND_EXECUTOR_FAILED",
                "exited with status 137", 137), EXECUTOR);
        assertThat(end.message()).isEqualTo("Tower task fw-1-executor-3 FAILED on agent a-7 (h7): "
                + "REASON_COMMAND_EXECUTOR_FAILED: exited with status 137");
        assertThat(end.causedByApp()).isTrue();
        assertThat(end.agentFailure()).isTrue();
    }

    @Test
    void theExitStatusIsAddedWhenTowerDidNotSayIt() {
        assertThat(ExecutorEnd.of(status(TaskState.FAILED, "REASON_OOM", null, 137), EXECUTOR).message())
                .endsWith("(h7): REASON_OOM (exit status 137)");
    }

    @Test
    void aLostAgentIsNotTheApplicationsFault() {
        ExecutorEnd end = ExecutorEnd.of(status(TaskState.LOST, "agent removed", null, null), EXECUTOR);
        assertThat(end.message()).isEqualTo("Tower task fw-1-executor-3 LOST on agent a-7 (h7): agent removed");
        assertThat(end.causedByApp()).isFalse();
        assertThat(end.agentFailure()).isTrue();
    }

    @Test
    void aRequestedKillIsNeitherTheApplicationsNorTheAgentsFault() {
        ExecutorEnd killed = ExecutorEnd.of(status(TaskState.KILLED, null, "killed", null), EXECUTOR.killing());
        assertThat(killed.message()).endsWith("after the application asked to kill it");
        assertThat(killed.causedByApp()).isFalse();
        assertThat(killed.agentFailure()).isFalse();
        ExecutorEnd failedWhileKilled = ExecutorEnd.of(status(TaskState.FAILED, null, null, 143), EXECUTOR.killing());
        assertThat(failedWhileKilled.agentFailure()).isFalse();
    }

    @Test
    void anExecutorThatExitsCleanlyIsNoFailure() {
        ExecutorEnd end = ExecutorEnd.of(status(TaskState.FINISHED, null, null, 0), EXECUTOR);
        assertThat(end.agentFailure()).isFalse();
        assertThat(end.message()).isEqualTo("Tower task fw-1-executor-3 FINISHED on agent a-7 (h7) (exit status 0)");
    }
}
