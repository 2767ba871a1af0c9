package dev.tower.manager.core;

import dev.tower.api.agent.AgentEvent;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.tower.manager.core.CoreHarness.AgentPeer;
import static dev.tower.manager.core.CoreHarness.FrameworkPeer;
import static dev.tower.manager.core.CoreHarness.seconds;
import static org.assertj.core.api.Assertions.assertThat;

class MasterCoreStatusUpdateTest {
    private final CoreHarness h = new CoreHarness(MasterConfig.defaults()); // statusRetryInitial 5 s
    private final AgentPeer agent = h.agent("host1", 4, 4096);
    private final FrameworkPeer fw = h.framework("fw", "*");

    @BeforeEach
    void launch() {
        h.tick();
        fw.launch(fw.onlyOffer(), Fixtures.task("t1", 1, 512));
    }

    @Test
    void anUnacknowledgedUpdateIsResentUntilAcknowledgedThenTheAgentIsTold() {
        TaskStatus running = agent.update(fw.id, "t1", TaskState.RUNNING);
        assertThat(fw.updates("t1")).hasSize(1);

        h.advance(seconds(4.9));
        assertThat(fw.updates("t1")).hasSize(1);
        h.advance(seconds(0.1));
        assertThat(fw.updates("t1")).extracting(TaskStatus::uuid).containsExactly(running.uuid(), running.uuid());
        h.advance(seconds(10)); // the delay doubles: resent at 15 s
        assertThat(fw.updates("t1")).hasSize(3);
        assertThat(agent.received(AgentEvent.Acknowledged.class)).isEmpty();

        fw.ack(running);

        assertThat(agent.received(AgentEvent.Acknowledged.class))
                .containsExactly(new AgentEvent.Acknowledged(fw.id, "t1", running.uuid()));
        h.advance(seconds(300));
        assertThat(fw.updates("t1")).hasSize(3);
    }

    @Test
    void duplicateAndLateAcknowledgementsAreHarmless() {
        TaskStatus running = agent.update(fw.id, "t1", TaskState.RUNNING);
        fw.ack(running);

        Outcome dup = fw.ack(running);
        assertThat(dup.reply().isError()).isFalse();
        assertThat(dup.effects()).isEmpty();

        TaskStatus finished = agent.update(fw.id, "t1", TaskState.FINISHED);
        fw.ack(finished);
        assertThat(h.core.reader().tasks()).isEmpty(); // settled: moved to the completed tasks
        Outcome late = fw.ack(finished);
        assertThat(late.reply().isError()).isFalse();
        assertThat(late.effects()).isEmpty();
        Outcome unknownUuid = fw.ack(running.withUuid("never-sent"));
        assertThat(unknownUuid.reply().isError()).isFalse();
        assertThat(unknownUuid.effects()).isEmpty();
    }

    @Test
    void aDuplicateAgentUpdateIsReforwardedButAppliedOnce() {
        TaskStatus running = agent.update(fw.id, "t1", TaskState.RUNNING);

        agent.send(running); // the agent's retry: the framework may have missed it

        assertThat(fw.updates("t1")).extracting(TaskStatus::uuid).containsExactly(running.uuid(), running.uuid());
        assertThat(h.core.reader().task(fw.id, "t1").orElseThrow().statuses())
                .filteredOn(s -> running.uuid().equals(s.uuid())).hasSize(1);

        fw.ack(running);
        agent.send(running); // after the ack: answered to the agent, not forwarded again
        assertThat(fw.updates("t1")).hasSize(2);
        assertThat(agent.received(AgentEvent.Acknowledged.class)).hasSize(2);
    }

    @Test
    void aDuplicateTerminalUpdateDoesNotReleaseResourcesTwice() {
        agent.update(fw.id, "t1", TaskState.RUNNING);
        TaskStatus finished = agent.update(fw.id, "t1", TaskState.FINISHED);
        agent.send(finished);
        h.advance(seconds(1));
        assertThat(h.core.reader().agent(agent.id).orElseThrow().used().isEmpty()).isTrue();
        // The whole agent is free again: exactly its 4 cpus are on offer, not more.
        assertThat(fw.offers().stream().mapToDouble(o -> o.resources().cpus()).sum()).isEqualTo(4);
        assertThat(h.core.allocator().free(agent.id).isEmpty()).isTrue();
    }

    @Test
    void anUpdateForAnUnknownTaskIsAcknowledgedToTheAgentAndTheTaskKilled() {
        TaskStatus ghost = agent.status(fw.id, "ghost", TaskState.RUNNING);
        agent.send(ghost);

        assertThat(agent.received(AgentEvent.Acknowledged.class))
                .containsExactly(new AgentEvent.Acknowledged(fw.id, "ghost", ghost.uuid()));
        assertThat(agent.received(AgentEvent.KillTask.class)).extracting(AgentEvent.KillTask::taskId)
                .containsExactly("ghost");
        assertThat(fw.updates("ghost")).isEmpty();
    }

    @Test
    void aTerminalUpdateForAnUnknownTaskIsOnlyAcknowledged() {
        TaskStatus ghost = agent.status(fw.id, "ghost", TaskState.FAILED);
        agent.send(ghost);

        assertThat(agent.received(AgentEvent.Acknowledged.class)).hasSize(1);
        assertThat(agent.received(AgentEvent.KillTask.class)).isEmpty();
    }
}
