package dev.tower.manager.core;

import dev.tower.api.agent.AgentCall;
import dev.tower.api.agent.AgentEvent;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.operator.AgentView;
import dev.tower.api.operator.FrameworkView;
import dev.tower.api.operator.OperatorCall;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.api.scheduler.SchedulerEvent;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.tower.manager.core.CoreHarness.AgentPeer;
import static dev.tower.manager.core.CoreHarness.FrameworkPeer;
import static dev.tower.manager.core.CoreHarness.seconds;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A master failover as the core sees it: a first master runs an agent, a framework and a task and writes its
 * registry; a second core, recovered from that registry with a higher epoch, takes over.
 */
class MasterCoreRecoveryTest {
    private static final long EPOCH = 7;
    private final MasterConfig config = MasterConfig.defaults()
            .withAgentReregisterTimeout(Duration.ofSeconds(10))
            .withAgentUnreachableTimeout(Duration.ofSeconds(60));

    // The first leader.
    private final CoreHarness old = new CoreHarness(config);
    private final AgentPeer oldAgent = old.agent("host1", 4, 4096);
    private final FrameworkPeer oldFw = old.framework(Fixtures.frameworkInfo("fw", "*", 3600));

    private String taskRunningOnTheOldMaster() {
        old.tick();
        oldFw.launch(oldFw.onlyOffer(), Fixtures.task("t1", 1, 512));
        TaskStatus running = oldAgent.update(oldFw.id, "t1", TaskState.RUNNING);
        oldFw.ack(running);
        return "t1";
    }

    /** The new leader, from what the old one wrote, one second later. */
    private CoreHarness takeOver() {
        ManualClock clock = new ManualClock(old.clock.millis() + 1000);
        return new CoreHarness(config, clock, old.registry.load(), EPOCH);
    }

    private static AgentCall.TaskReport running(String frameworkId, String taskId) {
        return new AgentCall.TaskReport(frameworkId, Fixtures.task(taskId, 1, 512), TaskState.RUNNING, null);
    }

    private FrameworkPeer reSubscribe(CoreHarness h) {
        FrameworkPeer f = new FrameworkPeer(h, oldFw.info);
        f.id = oldFw.id;
        assertThat(f.subscribe().reply().isError()).isFalse();
        return f;
    }

    @Test
    void aPlainMasterSendsEpochZeroOnSubscribed() {
        assertThat(oldAgent.received(AgentEvent.Subscribed.class)).singleElement()
                .extracting(AgentEvent.Subscribed::epoch).isEqualTo(0L);
        assertThat(oldFw.received(SchedulerEvent.Subscribed.class)).singleElement()
                .extracting(SchedulerEvent.Subscribed::epoch).isEqualTo(0L);
        assertThat(old.core.epoch()).isZero();
    }

    @Test
    void theNewLeaderKnowsTheRegistrysAgentsFrameworksAndWeightsButNoTasks() {
        taskRunningOnTheOldMaster();
        old.handle(new Command.Operator(new OperatorCall.UpdateWeights(Map.of("etl", 3.0))));

        CoreHarness h = takeOver();

        assertThat(h.core.epoch()).isEqualTo(EPOCH);
        assertThat(h.core.reader().agents()).singleElement().satisfies(a -> {
            assertThat(a.id()).isEqualTo(oldAgent.id);
            assertThat(a.state()).isEqualTo("RECOVERING");
            assertThat(a.total().cpus()).isEqualTo(4);
        });
        assertThat(h.core.reader().frameworks()).singleElement().satisfies(f -> {
            assertThat(f.id()).isEqualTo(oldFw.id);
            assertThat(f.state()).isEqualTo("DISCONNECTED");
            // It was connected when the old leader went: its whole failover timeout from the takeover.
            assertThat(f.failoverDeadline()).isEqualTo((h.clock.millis() + 3600_000) / 1000.0);
        });
        assertThat(h.core.reader().tasks()).isEmpty();
        assertThat(h.core.reader().roles()).anySatisfy(r -> {
            assertThat(r.name()).isEqualTo("etl");
            assertThat(r.weight()).isEqualTo(3.0);
        });
        assertThat(h.whyNot(oldFw.id, oldAgent.id).code()).isEqualTo("AGENT_RECOVERING");
    }

    @Test
    void agentsAndFrameworksComingBackGetTheNewEpochTheTasksAreAdoptedAndOffersResume() {
        taskRunningOnTheOldMaster();
        CoreHarness h = takeOver();

        AgentPeer agent = h.agentPeer(oldAgent.info.withId(oldAgent.id));
        agent.subscribe(List.of(running(oldFw.id, "t1")));
        FrameworkPeer fw = reSubscribe(h);

        assertThat(agent.received(AgentEvent.Subscribed.class)).singleElement()
                .extracting(AgentEvent.Subscribed::epoch).isEqualTo(EPOCH);
        assertThat(fw.received(SchedulerEvent.Subscribed.class)).singleElement()
                .extracting(SchedulerEvent.Subscribed::epoch).isEqualTo(EPOCH);
        assertThat(h.core.reader().agent(oldAgent.id).orElseThrow().state()).isEqualTo("ACTIVE");
        assertThat(h.core.reader().task(oldFw.id, "t1").orElseThrow().state()).isEqualTo(TaskState.RUNNING);

        fw.call(new SchedulerCall.Reconcile(fw.id, List.of(new SchedulerCall.Reconcile.TaskRef("t1", null))));
        assertThat(fw.updates("t1")).singleElement().extracting(TaskStatus::state).isEqualTo(TaskState.RUNNING);

        h.tick();
        assertThat(fw.onlyOffer().resources().cpus()).isEqualTo(3); // 4 cpus less the adopted task's 1
        // Past the re-registration window nothing changes for an agent that came back.
        h.advance(seconds(11));
        assertThat(h.core.reader().agent(oldAgent.id).orElseThrow().state()).isEqualTo("ACTIVE");
        assertThat(fw.updates("t1")).hasSize(1);
    }

    @Test
    void reconciliationWaitsForAgentsStillExpectedThenAnswersUnreachableThenLost() {
        taskRunningOnTheOldMaster();
        CoreHarness h = takeOver();
        FrameworkPeer fw = reSubscribe(h);
        var withAgent = new SchedulerCall.Reconcile(fw.id,
                List.of(new SchedulerCall.Reconcile.TaskRef("t1", oldAgent.id)));
        var withoutAgent = new SchedulerCall.Reconcile(fw.id,
                List.of(new SchedulerCall.Reconcile.TaskRef("t1", null)));

        // Within the window the task may still come back with its agent: no answer yet.
        fw.call(withAgent);
        fw.call(withoutAgent);
        fw.call(new SchedulerCall.Reconcile(fw.id, List.of()));
        assertThat(fw.updates()).isEmpty();
        assertThat(fw.kill("t1").reply().error()).contains("agents are still re-subscribing");

        // The agent does not come back in time: unreachable.
        h.advance(seconds(10));
        assertThat(h.core.reader().agent(oldAgent.id).orElseThrow().state()).isEqualTo("UNREACHABLE");
        fw.call(withAgent);
        assertThat(fw.updates("t1")).singleElement().satisfies(s -> {
            assertThat(s.state()).isEqualTo(TaskState.UNREACHABLE);
            assertThat(s.agentId()).isEqualTo(oldAgent.id);
        });
        fw.call(withoutAgent);
        assertThat(fw.updates("t1")).last().extracting(TaskStatus::state).isEqualTo(TaskState.UNKNOWN);

        // And removed after the unreachable timeout: LOST, and the framework hears of the agent's failure.
        h.advance(seconds(60));
        assertThat(h.core.reader().agents()).isEmpty();
        assertThat(fw.received(SchedulerEvent.Failure.class)).extracting(SchedulerEvent.Failure::agentId)
                .containsExactly(oldAgent.id);
        fw.call(withAgent);
        assertThat(fw.updates("t1")).last().extracting(TaskStatus::state).isEqualTo(TaskState.LOST);
        assertThat(h.registry.load().agents()).isEmpty();
    }

    @Test
    void anAgentBackAfterTheWindowButBeforeRemovalIsActiveAgainWithItsTasks() {
        taskRunningOnTheOldMaster();
        CoreHarness h = takeOver();
        FrameworkPeer fw = reSubscribe(h);
        h.advance(seconds(15));
        assertThat(h.core.reader().agent(oldAgent.id).orElseThrow().state()).isEqualTo("UNREACHABLE");

        AgentPeer agent = h.agentPeer(oldAgent.info.withId(oldAgent.id));
        agent.subscribe(List.of(running(oldFw.id, "t1")));

        assertThat(h.core.reader().agent(oldAgent.id).orElseThrow().state()).isEqualTo("ACTIVE");
        assertThat(h.core.reader().task(fw.id, "t1").orElseThrow().state()).isEqualTo(TaskState.RUNNING);
        h.advance(seconds(120));
        assertThat(h.core.reader().agents()).extracting(AgentView::state).containsExactly("ACTIVE");
    }

    @Test
    void aNewAgentNeedNotWaitForTheWindow() {
        CoreHarness h = takeOver();
        FrameworkPeer fw = reSubscribe(h);
        AgentPeer fresh = h.agentPeer(Fixtures.agentInfo("host2", 2, 1024));
        fresh.subscribe(List.of());
        h.tick();
        assertThat(fw.offers()).extracting(o -> o.agentId()).containsExactly(fresh.id);
    }

    @Test
    void aFrameworkThatDoesNotComeBackIsRemovedAndItsReportedTasksAreKilled() {
        FrameworkPeer shortLived = old.framework(Fixtures.frameworkInfo("short", "*", 30));
        CoreHarness h = takeOver();

        AgentPeer agent = h.agentPeer(oldAgent.info.withId(oldAgent.id));
        agent.subscribe(List.of(running(shortLived.id, "s1")));
        assertThat(h.core.reader().task(shortLived.id, "s1")).isPresent();

        h.advance(seconds(29));
        assertThat(h.core.reader().frameworks()).extracting(FrameworkView::id).contains(shortLived.id);
        h.advance(seconds(2));
        assertThat(h.core.reader().frameworks()).extracting(FrameworkView::id).doesNotContain(shortLived.id);
        assertThat(agent.received(AgentEvent.ShutdownFramework.class))
                .containsExactly(new AgentEvent.ShutdownFramework(shortLived.id));
        assertThat(h.registry.load().frameworks()).doesNotContainKey(shortLived.id);
    }

    @Test
    void aFrameworkWithoutFailoverTimeoutGetsTheReregistrationWindowToComeBack() {
        FrameworkPeer noFailover = old.framework(Fixtures.frameworkInfo("nofo", "*", 0));
        CoreHarness h = takeOver();

        h.advance(seconds(9));
        assertThat(h.core.reader().frameworks()).extracting(FrameworkView::id).contains(noFailover.id);
        h.advance(seconds(2));
        assertThat(h.core.reader().frameworks()).extracting(FrameworkView::id).doesNotContain(noFailover.id);
    }

    @Test
    void aFrameworkDisconnectedBeforeTheFailoverKeepsItsDeadline() {
        oldFw.disconnect();
        long deadline = old.clock.millis() + 3600_000;
        assertThat(old.registry.load().frameworks().get(oldFw.id).failoverDeadline()).isEqualTo(deadline);
        old.advance(seconds(100));

        CoreHarness h = takeOver();

        assertThat(h.core.reader().frameworks()).singleElement()
                .extracting(FrameworkView::failoverDeadline).isEqualTo(deadline / 1000.0);
        FrameworkPeer fw = reSubscribe(h);
        assertThat(h.registry.load().frameworks().get(fw.id).failoverDeadline()).isZero();
    }

    @Test
    void theRecoveredRegistryIsKeptUpToDateByTheNewLeader() {
        CoreHarness h = takeOver();
        AgentPeer agent = h.agentPeer(oldAgent.info.withId(oldAgent.id));
        agent.subscribe(List.of());
        reSubscribe(h);

        RegistrySnapshot written = h.registry.load();
        assertThat(written.agents()).containsOnlyKeys(oldAgent.id);
        assertThat(written.frameworks()).containsOnlyKeys(oldFw.id);
        FrameworkInfo saved = written.frameworks().get(oldFw.id).framework();
        assertThat(saved.name()).isEqualTo("fw");
    }
}
