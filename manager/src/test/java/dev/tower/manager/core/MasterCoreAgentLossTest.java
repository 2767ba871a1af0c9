package dev.tower.manager.core;

import dev.tower.api.agent.AgentCall;
import dev.tower.api.agent.AgentEvent;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.scheduler.SchedulerEvent;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.tower.manager.core.CoreHarness.AgentPeer;
import static dev.tower.manager.core.CoreHarness.FrameworkPeer;
import static dev.tower.manager.core.CoreHarness.seconds;
import static org.assertj.core.api.Assertions.assertThat;

class MasterCoreAgentLossTest {
    private final CoreHarness h = new CoreHarness(
            MasterConfig.defaults().withAgentUnreachableTimeout(Duration.ofSeconds(30)));
    private final AgentPeer agent = h.agent("host1", 4, 4096);
    private final FrameworkPeer fw = h.framework("fw", "*");

    /** Launches a task and brings it to RUNNING, acknowledged. */
    private AgentEvent.RunTask running(String taskId) {
        h.tick();
        fw.launch(fw.onlyOffer(), Fixtures.task(taskId, 1, 512));
        AgentEvent.RunTask run = agent.received(AgentEvent.RunTask.class).stream()
                .filter(r -> r.task().taskId().equals(taskId)).findFirst().orElseThrow();
        agent.update(fw.id, taskId, TaskState.RUNNING);
        fw.ack(fw.updates(taskId).get(0));
        return run;
    }

    /** The states the framework was told, each update once (retries re-send the same uuid). */
    private List<TaskState> states(String taskId) {
        return fw.updates(taskId).stream().filter(distinctBy(TaskStatus::uuid)).map(TaskStatus::state).toList();
    }

    static <T> java.util.function.Predicate<T> distinctBy(java.util.function.Function<T, ?> key) {
        java.util.Set<Object> seen = new java.util.HashSet<>();
        return t -> seen.add(key.apply(t));
    }

    @Test
    void agentStreamLossMakesItsTasksUnreachable() {
        running("t1");

        agent.disconnect();

        TaskStatus unreachable = fw.updates("t1").get(1);
        assertThat(unreachable.state()).isEqualTo(TaskState.UNREACHABLE);
        assertThat(unreachable.source()).isEqualTo(TaskStatus.Source.MASTER);
        assertThat(unreachable.uuid()).isNotNull();
        assertThat(h.core.reader().agent(agent.id).orElseThrow().state()).isEqualTo("UNREACHABLE");
    }

    @Test
    void afterTheUnreachableTimeoutTasksAreLostAndFrameworksToldOfTheFailure() {
        running("t1");
        agent.disconnect();
        fw.ack(fw.updates("t1").get(1));

        h.advance(seconds(29));
        assertThat(states("t1")).containsExactly(TaskState.RUNNING, TaskState.UNREACHABLE);
        assertThat(fw.received(SchedulerEvent.Failure.class)).isEmpty();

        h.advance(seconds(2));
        assertThat(states("t1")).containsExactly(TaskState.RUNNING, TaskState.UNREACHABLE, TaskState.LOST);
        assertThat(fw.received(SchedulerEvent.Failure.class)).containsExactly(new SchedulerEvent.Failure(agent.id));
        assertThat(h.core.reader().agent(agent.id)).isEmpty();
        assertThat(h.core.reader().frameworks().get(0).used().isEmpty()).isTrue();
    }

    @Test
    void anAgentBackInTimeWithItsTasksMakesThemRunningAgainAndNothingIsLost() {
        AgentEvent.RunTask run = running("t1");
        agent.disconnect();
        h.advance(seconds(10));

        agent.subscribe(List.of(new AgentCall.TaskReport(fw.id, run.task(), TaskState.RUNNING, null)));
        h.advance(seconds(60));

        assertThat(states("t1")).containsExactly(TaskState.RUNNING, TaskState.UNREACHABLE, TaskState.RUNNING);
        assertThat(fw.received(SchedulerEvent.Failure.class)).isEmpty();
        assertThat(h.core.reader().agent(agent.id).orElseThrow().state()).isEqualTo("ACTIVE");
        assertThat(h.core.reader().agent(agent.id).orElseThrow().used().cpus()).isEqualTo(1);
        assertThat(h.core.reader().task(fw.id, "t1").orElseThrow().state()).isEqualTo(TaskState.RUNNING);
    }

    @Test
    void anAgentBackAfterItWasRemovedIsToldToKillTheTasksAlreadyReportedLost() {
        AgentEvent.RunTask run = running("t1");
        agent.disconnect();
        h.advance(seconds(31)); // removed: t1 LOST, not yet acknowledged by the framework
        assertThat(states("t1")).containsExactly(TaskState.RUNNING, TaskState.UNREACHABLE, TaskState.LOST);

        agent.subscribe(List.of(new AgentCall.TaskReport(fw.id, run.task(), TaskState.RUNNING, null)));

        assertThat(agent.received(AgentEvent.KillTask.class)).extracting(AgentEvent.KillTask::taskId)
                .containsExactly("t1");
        assertThat(states("t1")).containsExactly(TaskState.RUNNING, TaskState.UNREACHABLE, TaskState.LOST);
    }

    @Test
    void anAgentBackWithoutATaskItRanMakesThatTaskLost() {
        running("t1");
        agent.disconnect();

        agent.subscribe(List.of());

        assertThat(states("t1")).containsExactly(TaskState.RUNNING, TaskState.UNREACHABLE, TaskState.LOST);
        assertThat(h.core.reader().agent(agent.id).orElseThrow().used().isEmpty()).isTrue();
    }

    @Test
    void aTaskLaunchedOnAStreamThatBrokeBeforeTheAgentSawItIsDropped() {
        h.tick();
        fw.launch(fw.onlyOffer(), Fixtures.task("t1", 1, 512));
        h.cut(agent.conn); // RUN_TASK lost in flight; the agent re-subscribes before the master sees the close

        agent.subscribe(List.of());

        assertThat(states("t1")).containsExactly(TaskState.DROPPED);
        assertThat(h.core.reader().agent(agent.id).orElseThrow().used().isEmpty()).isTrue();
    }

    @Test
    void aTaskLaunchedJustBeforeTheAgentWasLostEndsLostWhenTheAgentReturnsWithoutIt() {
        h.tick();
        fw.launch(fw.onlyOffer(), Fixtures.task("t1", 1, 512));
        agent.disconnect();

        agent.subscribe(List.of());

        assertThat(states("t1")).containsExactly(TaskState.UNREACHABLE, TaskState.LOST);
    }

    @Test
    void anAgentSilentForThePingTimeoutIsUnreachableAndItsStreamClosed() {
        running("t1");
        h.clock.advance(Duration.ofSeconds(21)); // no heartbeat meanwhile
        h.tick();

        assertThat(h.stream(agent.conn).closing).isTrue();
        assertThat(states("t1")).containsExactly(TaskState.RUNNING, TaskState.UNREACHABLE);
    }
}
