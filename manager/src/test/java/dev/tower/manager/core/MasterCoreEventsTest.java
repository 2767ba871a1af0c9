package dev.tower.manager.core;

import dev.tower.api.agent.AgentCall;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.operator.OperatorCall;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.tower.manager.core.CoreHarness.AgentPeer;
import static dev.tower.manager.core.CoreHarness.FrameworkPeer;
import static dev.tower.manager.core.CoreHarness.seconds;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The events the core publishes for each state change, and what their data says. Every event of every test (and of
 * the simulation) is also checked by the harness's {@link CoreHarness.EventLedger}.
 */
class MasterCoreEventsTest {
    private final CoreHarness h = new CoreHarness(MasterConfig.defaults()
            .withAgentUnreachableTimeout(Duration.ofSeconds(30)));
    private final AgentPeer agent = h.agent("host1", 4, 4096);
    private final FrameworkPeer fw = h.framework(Fixtures.frameworkInfo("fw", "etl", 60));

    private TaskStatus running(String taskId) {
        h.tick();
        fw.launch(fw.onlyOffer(), Fixtures.task(taskId, 1, 512));
        TaskStatus s = agent.update(fw.id, taskId, TaskState.RUNNING);
        fw.ack(s);
        return s;
    }

    @Test
    void anAgentAndAFrameworkJoiningAndATaskLifecycleArePublishedInOrder() {
        assertThat(h.newEventTypes()).containsExactly(ClusterEvents.AGENT_ADDED, ClusterEvents.FRAMEWORK_SUBSCRIBED);
        var added = h.eventData(ClusterEvents.AGENT_ADDED, ClusterEvents.AgentRegistered.class).get(0);
        assertThat(added.agentId()).isEqualTo(agent.id);
        assertThat(added.hostname()).isEqualTo("host1");
        assertThat(added.resources()).isEqualTo(Resources.cpusMem(4, 4096));
        assertThat(added.previousState()).isNull();
        var subscribed = h.eventData(ClusterEvents.FRAMEWORK_SUBSCRIBED, ClusterEvents.FrameworkSubscribed.class).get(0);
        assertThat(subscribed.frameworkId()).isEqualTo(fw.id);
        assertThat(subscribed.role()).isEqualTo("etl");
        assertThat(subscribed.principal()).isEqualTo("p-fw");
        assertThat(subscribed.failedOver()).isNull();

        h.tick();
        String offerId = fw.onlyOffer().id();
        fw.launch(fw.onlyOffer(), Fixtures.task("t1", 1, 512));
        TaskStatus running = agent.update(fw.id, "t1", TaskState.RUNNING);
        fw.ack(running);
        fw.ack(agent.update(fw.id, "t1", TaskState.FINISHED));

        assertThat(h.newEventTypes()).containsExactly(ClusterEvents.OFFER_MADE, ClusterEvents.OFFER_ACCEPTED,
                ClusterEvents.TASK_LAUNCHED,
                ClusterEvents.OFFER_MADE, // the 3 cpus left of the offer go straight back to the framework
                ClusterEvents.TASK_STATUS, ClusterEvents.TASK_STATUS,
                ClusterEvents.OFFER_MADE); // and the task's cpu once it finished
        var made = h.eventData(ClusterEvents.OFFER_MADE, ClusterEvents.OfferMade.class).get(0);
        assertThat(made).isEqualTo(new ClusterEvents.OfferMade(offerId, fw.id, agent.id, "host1",
                Resources.cpusMem(4, 4096), h.clock.millis() + MasterConfig.defaults().offerTimeout().toMillis()));
        var accepted = h.eventData(ClusterEvents.OFFER_ACCEPTED, ClusterEvents.OfferAccepted.class).get(0);
        assertThat(accepted.offerId()).isEqualTo(offerId);
        assertThat(accepted.taskIds()).containsExactly("t1");
        var launched = h.events(ClusterEvents.TASK_LAUNCHED).get(0);
        assertThat(launched.subject()).isEqualTo(fw.id + "/t1");
        assertThat(((ClusterEvents.TaskLaunched) launched.data()).agentId()).isEqualTo(agent.id);
        assertThat(((ClusterEvents.TaskLaunched) launched.data()).command()).isEqualTo("sleep 1000");
        assertThat(h.eventData(ClusterEvents.TASK_STATUS, ClusterEvents.TaskStatusChanged.class))
                .extracting(ClusterEvents.TaskStatusChanged::previousState, ClusterEvents.TaskStatusChanged::state)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(TaskState.STAGING, TaskState.RUNNING),
                        org.assertj.core.groups.Tuple.tuple(TaskState.RUNNING, TaskState.FINISHED));
        var first = h.eventData(ClusterEvents.TASK_STATUS, ClusterEvents.TaskStatusChanged.class).get(0);
        assertThat(first.uuid()).isEqualTo(running.uuid());
        assertThat(first.source()).isEqualTo(TaskStatus.Source.AGENT);
    }

    @Test
    void aLaunchedTasksEnvironmentIsNeverPublished() {
        h.tick();
        CommandInfo secret = new CommandInfo(true, "run.sh", List.of(), Map.of("TOKEN", "s3cr3t"), List.of(), null, null);
        fw.launch(fw.onlyOffer(), new TaskInfo("t1", "job", null, Resources.cpusMem(1, 64), secret, null,
                Map.of("team", "a")));

        ClusterEvent launched = h.events(ClusterEvents.TASK_LAUNCHED).get(0);
        assertThat(dev.tower.api.codec.Json.write(launched.data())).doesNotContain("s3cr3t").doesNotContain("TOKEN")
                .contains("\"command\":\"run.sh\"").contains("\"labels\":{\"team\":\"a\"}");
    }

    @Test
    void aDeclineSaysForHowLongTheAgentIsFiltered() {
        h.tick();
        String offerId = fw.onlyOffer().id();
        fw.decline(fw.onlyOffer(), 30);

        assertThat(h.eventData(ClusterEvents.OFFER_DECLINED, ClusterEvents.OfferDeclined.class)).containsExactly(
                new ClusterEvents.OfferDeclined(offerId, fw.id, agent.id, Resources.cpusMem(4, 4096), 30.0,
                        h.clock.millis() + 30_000));
    }

    @Test
    void offersAreRescindedWithTheirReason() {
        h.tick();
        String offerId = fw.onlyOffer().id();
        h.advance(MasterConfig.defaults().offerTimeout());

        assertThat(h.eventData(ClusterEvents.OFFER_RESCINDED, ClusterEvents.OfferRescinded.class)).first()
                .isEqualTo(new ClusterEvents.OfferRescinded(offerId, fw.id, agent.id, Resources.cpusMem(4, 4096),
                        "offer timed out"));
    }

    @Test
    void anAgentLostIsUnreachableThenRemovedWithItsTasksLost() {
        running("t1");
        h.newEventTypes();
        agent.disconnect();

        assertThat(h.newEventTypes()).containsExactly(ClusterEvents.OFFER_RESCINDED, ClusterEvents.TASK_STATUS,
                ClusterEvents.AGENT_UNREACHABLE);
        assertThat(h.eventData(ClusterEvents.AGENT_UNREACHABLE, ClusterEvents.AgentUnreachable.class))
                .containsExactly(new ClusterEvents.AgentUnreachable(agent.id, "agent stream closed", 1,
                        h.clock.millis() + 30_000));

        h.advance(seconds(31));
        assertThat(h.newEventTypes()).containsExactly(ClusterEvents.TASK_STATUS, ClusterEvents.AGENT_REMOVED);
        assertThat(h.eventData(ClusterEvents.TASK_STATUS, ClusterEvents.TaskStatusChanged.class))
                .extracting(ClusterEvents.TaskStatusChanged::state)
                .containsExactly(TaskState.RUNNING, TaskState.UNREACHABLE, TaskState.LOST);
        var removed = h.eventData(ClusterEvents.AGENT_REMOVED, ClusterEvents.AgentRemoved.class).get(0);
        assertThat(removed.agentId()).isEqualTo(agent.id);
        assertThat(removed.lostTasks()).isEqualTo(1);
    }

    @Test
    void anAgentBackFromUnreachableIsReregisteredAndItsTasksRunningAgain() {
        running("t1");
        agent.disconnect();
        h.advance(seconds(5));
        h.newEventTypes();

        agent.subscribe(List.of(new AgentCall.TaskReport(fw.id, Fixtures.task("t1", 1, 512), TaskState.RUNNING, null)));

        assertThat(h.newEventTypes()).startsWith(ClusterEvents.AGENT_REREGISTERED, ClusterEvents.TASK_STATUS);
        var back = h.eventData(ClusterEvents.AGENT_REREGISTERED, ClusterEvents.AgentRegistered.class).get(0);
        assertThat(back.previousState()).isEqualTo("UNREACHABLE");
        assertThat(back.reportedTasks()).isEqualTo(1);
        assertThat(h.eventData(ClusterEvents.TASK_STATUS, ClusterEvents.TaskStatusChanged.class)).last()
                .satisfies(s -> {
                    assertThat(s.previousState()).isEqualTo(TaskState.UNREACHABLE);
                    assertThat(s.state()).isEqualTo(TaskState.RUNNING);
                    assertThat(s.source()).isEqualTo(TaskStatus.Source.MASTER);
                });
    }

    @Test
    void aFrameworkFailsOverDisconnectsReturnsAndIsRemovedWithItsTasksKilled() {
        running("t1");
        String oldConnection = fw.conn;
        fw.subscribe(); // a new subscription while the old stream is open: a failover
        assertThat(fw.conn).isNotEqualTo(oldConnection);
        assertThat(h.eventData(ClusterEvents.FRAMEWORK_RESUBSCRIBED, ClusterEvents.FrameworkSubscribed.class))
                .extracting(ClusterEvents.FrameworkSubscribed::failedOver).containsExactly(true);

        fw.disconnect();
        assertThat(h.eventData(ClusterEvents.FRAMEWORK_DISCONNECTED, ClusterEvents.FrameworkDisconnected.class))
                .containsExactly(new ClusterEvents.FrameworkDisconnected(fw.id, 60, h.clock.millis() + 60_000));

        fw.subscribe();
        assertThat(h.eventData(ClusterEvents.FRAMEWORK_RESUBSCRIBED, ClusterEvents.FrameworkSubscribed.class))
                .extracting(ClusterEvents.FrameworkSubscribed::failedOver).containsExactly(true, false);

        h.newEventTypes();
        fw.teardown();
        assertThat(h.newEventTypes()).containsExactly(ClusterEvents.TASK_STATUS, ClusterEvents.FRAMEWORK_REMOVED);
        var killed = h.eventData(ClusterEvents.TASK_STATUS, ClusterEvents.TaskStatusChanged.class);
        assertThat(killed).last().satisfies(s -> {
            assertThat(s.state()).isEqualTo(TaskState.KILLED);
            assertThat(s.previousState()).isEqualTo(TaskState.RUNNING);
            assertThat(s.source()).isEqualTo(TaskStatus.Source.MASTER);
            assertThat(s.uuid()).isNull(); // nobody is sent this one
            assertThat(s.reason()).isEqualTo("framework removed: torn down by the framework");
        });
        assertThat(h.eventData(ClusterEvents.FRAMEWORK_REMOVED, ClusterEvents.FrameworkRemoved.class)).containsExactly(
                new ClusterEvents.FrameworkRemoved(fw.id, "torn down by the framework", 1));
    }

    @Test
    void suppressAndReviveArePublished() {
        fw.suppress();
        fw.revive();

        assertThat(h.newEventTypes()).endsWith(ClusterEvents.FRAMEWORK_SUPPRESSED, ClusterEvents.FRAMEWORK_REVIVED);
        assertThat(h.eventData(ClusterEvents.FRAMEWORK_REVIVED, ClusterEvents.FrameworkOffers.class))
                .containsExactly(new ClusterEvents.FrameworkOffers(fw.id, "etl"));
    }

    @Test
    void killRequestsSayWhoAsked() {
        running("t1");
        running("t2");
        fw.kill("t1");
        h.handle(new Command.Operator(new OperatorCall.KillTask(fw.id, "t2")));

        assertThat(h.events(ClusterEvents.TASK_KILL_REQUESTED)).extracting(ClusterEvent::subject)
                .containsExactly(fw.id + "/t1", fw.id + "/t2");
        assertThat(h.eventData(ClusterEvents.TASK_KILL_REQUESTED, ClusterEvents.TaskKillRequested.class))
                .containsExactly(
                        new ClusterEvents.TaskKillRequested(fw.id, "t1", agent.id, TaskState.RUNNING, "framework"),
                        new ClusterEvents.TaskKillRequested(fw.id, "t2", agent.id, TaskState.RUNNING, "operator"));
    }

    @Test
    void weightsUpdatedCarriesTheChangeAndEveryWeightNow() {
        h.handle(new Command.Operator(new OperatorCall.UpdateWeights(Map.of("etl", 3.0))));
        h.handle(new Command.Operator(new OperatorCall.UpdateWeights(Map.of("adhoc", 0.5))));

        assertThat(h.eventData(ClusterEvents.WEIGHTS_UPDATED, ClusterEvents.WeightsUpdated.class)).last()
                .satisfies(w -> {
                    assertThat(w.updated()).isEqualTo(Map.of("adhoc", 0.5));
                    assertThat(w.weights()).containsEntry("etl", 3.0).containsEntry("adhoc", 0.5);
                });
        assertThat(h.events(ClusterEvents.WEIGHTS_UPDATED)).extracting(ClusterEvent::subject).containsOnly("weights");
    }

    @Test
    void rejectedCommandsPublishNothing() {
        h.newEventTypes();
        fw.call(new dev.tower.api.scheduler.SchedulerCall.Kill(fw.id, "no-such-task", null));
        h.handle(new Command.Operator(new OperatorCall.UpdateWeights(Map.of("etl", -1.0))));

        assertThat(h.newEventTypes()).isEmpty();
    }

    @Test
    void aNewLeaderPublishesTheAgentsAndFrameworksItExpectsBackThenTheirReturn() {
        running("t1");
        ManualClock later = new ManualClock(h.clock.millis() + 1000);
        CoreHarness next = new CoreHarness(MasterConfig.defaults().withAgentReregisterTimeout(Duration.ofSeconds(10)),
                later, h.registry.load(), 3);

        next.tick(); // the recovery's events leave with the first command's outcome
        assertThat(next.newEventTypes()).startsWith(ClusterEvents.AGENT_RECOVERING, ClusterEvents.FRAMEWORK_RECOVERING);
        assertThat(next.eventData(ClusterEvents.AGENT_RECOVERING, ClusterEvents.AgentRecovering.class))
                .containsExactly(new ClusterEvents.AgentRecovering(agent.id, "host1", 5051,
                        Resources.cpusMem(4, 4096), later.millis() + 10_000));
        assertThat(next.eventData(ClusterEvents.FRAMEWORK_RECOVERING, ClusterEvents.FrameworkRecovering.class))
                .containsExactly(new ClusterEvents.FrameworkRecovering(fw.id, "fw", "etl", later.millis() + 60_000));

        AgentPeer back = next.agentPeer(agent.info.withId(agent.id));
        back.subscribe(List.of(new AgentCall.TaskReport(fw.id, Fixtures.task("t1", 1, 512), TaskState.RUNNING, null)));
        assertThat(next.eventData(ClusterEvents.AGENT_REREGISTERED, ClusterEvents.AgentRegistered.class))
                .extracting(ClusterEvents.AgentRegistered::previousState).containsExactly("RECOVERING");
        next.tick();
        assertThat(next.newEventTypes()).doesNotContain(ClusterEvents.AGENT_RECOVERING);
    }
}
