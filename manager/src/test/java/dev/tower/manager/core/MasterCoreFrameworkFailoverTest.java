package dev.tower.manager.core;

import dev.tower.api.agent.AgentEvent;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.scheduler.SchedulerEvent;
import org.junit.jupiter.api.Test;

import static dev.tower.manager.core.CoreHarness.AgentPeer;
import static dev.tower.manager.core.CoreHarness.FrameworkPeer;
import static dev.tower.manager.core.CoreHarness.seconds;
import static org.assertj.core.api.Assertions.assertThat;

class MasterCoreFrameworkFailoverTest {
    private final CoreHarness h = new CoreHarness(MasterConfig.defaults());
    private final AgentPeer agent = h.agent("host1", 4, 4096);
    private final FrameworkPeer fw = h.framework(Fixtures.frameworkInfo("fw", "*", 60));

    private TaskStatus launchedAndRunningUnacked() {
        h.tick();
        fw.launch(fw.onlyOffer(), Fixtures.task("t1", 1, 512));
        return agent.update(fw.id, "t1", TaskState.RUNNING);
    }

    @Test
    void reSubscribingWithinTheFailoverTimeoutKeepsTasksAndRedeliversUnackedUpdates() {
        TaskStatus running = launchedAndRunningUnacked();
        String id = fw.id;
        fw.disconnect();
        h.advance(seconds(59));

        assertThat(fw.subscribe().reply().body()).isEqualTo(id);

        assertThat(fw.receive()).first().isInstanceOf(SchedulerEvent.Subscribed.class);
        assertThat(fw.updates("t1")).extracting(TaskStatus::uuid).contains(running.uuid());
        assertThat(h.core.reader().task(id, "t1").orElseThrow().state()).isEqualTo(TaskState.RUNNING);
        assertThat(agent.received(AgentEvent.ShutdownFramework.class)).isEmpty();
        h.advance(seconds(120));
        assertThat(h.core.reader().frameworks()).hasSize(1);
    }

    @Test
    void aFailoverToANewConnectionEndsTheOldStream() {
        launchedAndRunningUnacked();
        String oldConn = fw.conn;

        fw.subscribe();

        assertThat(h.stream(oldConn).closing).isTrue();
        assertThat(h.core.reader().frameworks().get(0).state()).isEqualTo("CONNECTED");
    }

    @Test
    void afterTheFailoverTimeoutTheFrameworkIsRemovedAndCannotComeBack() {
        launchedAndRunningUnacked();
        String id = fw.id;
        fw.disconnect();

        h.advance(seconds(59));
        assertThat(agent.received(AgentEvent.ShutdownFramework.class)).isEmpty();
        h.advance(seconds(2));

        assertThat(agent.received(AgentEvent.ShutdownFramework.class))
                .containsExactly(new AgentEvent.ShutdownFramework(id));
        assertThat(h.core.reader().frameworks()).isEmpty();
        assertThat(h.core.reader().agent(agent.id).orElseThrow().used().isEmpty()).isTrue();
        Outcome again = fw.subscribe();
        assertThat(again.reply().status()).isEqualTo(400);
        assertThat(again.reply().error()).startsWith("framework.id");
    }

    @Test
    void teardownRemovesTheFrameworkAndShutsItDownOnItsAgents() {
        launchedAndRunningUnacked();
        String id = fw.id;

        fw.teardown();

        assertThat(agent.received(AgentEvent.ShutdownFramework.class))
                .containsExactly(new AgentEvent.ShutdownFramework(id));
        assertThat(fw.received(SchedulerEvent.Error.class)).hasSize(1);
        assertThat(h.stream(fw.conn).closing).isTrue();
        assertThat(fw.subscribe().reply().error()).startsWith("framework.id");
    }
}
