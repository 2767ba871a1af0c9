package dev.tower.manager.core;

import dev.tower.api.model.Offer;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.operator.SummaryView;
import dev.tower.api.operator.TaskView;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.tower.manager.core.CoreHarness.AgentPeer;
import static dev.tower.manager.core.CoreHarness.FrameworkPeer;
import static org.assertj.core.api.Assertions.assertThat;

/** What the web UI reads at 10,000 tasks: counts without lists, and one page of a filtered listing. */
class StateReaderPagingTest {
    private static final int TASKS = 10_000;

    private final CoreHarness h = new CoreHarness(MasterConfig.defaults());
    private final AgentPeer agent = h.agent("big", 20_000, 2_000_000);
    private final FrameworkPeer fw = h.framework("many", "*");

    private void launchAll() {
        h.tick();
        Offer offer = fw.onlyOffer();
        List<TaskInfo> tasks = new ArrayList<>();
        for (int i = 0; i < TASKS; i++) {
            tasks.add(Fixtures.task((i % 100 == 0 ? "special-" : "t-") + i, 1, 64));
        }
        fw.accept(offer, tasks, 3600); // the rest of the agent is not offered again: allocated = the tasks
        for (int i = 0; i < TASKS; i += 2) { // every even task runs, the odd ones stay STAGING
            agent.update(fw.id, tasks.get(i).taskId(), TaskState.RUNNING);
        }
    }

    private <T> T read(java.util.function.Function<StateReader, T> q) {
        @SuppressWarnings("unchecked")
        T t = (T) h.core.handle(new Command.Query(c -> q.apply(c.reader()))).reply().body();
        return t;
    }

    @Test
    void summaryCountsTasksByStateAgentsAndFrameworks() {
        launchAll();

        SummaryView s = read(StateReader::summary);

        assertThat(s.tasks()).containsEntry("RUNNING", TASKS / 2).containsEntry("STAGING", TASKS / 2);
        assertThat(s.agents()).containsEntry("ACTIVE", 1);
        assertThat(s.frameworks()).containsEntry("CONNECTED", 1);
        assertThat(s.total().cpus()).isEqualTo(20_000);
        assertThat(s.allocated().cpus()).isEqualTo(TASKS);
    }

    @Test
    void aPageHoldsTheLimitAndTheTotalCountsEveryMatch() {
        launchAll();

        StateReader.TaskPage page = read(r -> r.tasks(new StateReader.TaskFilter(null, null, null, null), false, 9_950, 100));
        StateReader.TaskPage running = read(r -> r.tasks(
                new StateReader.TaskFilter(TaskState.RUNNING, fw.id, agent.id, null), false, 0, 100));
        StateReader.TaskPage named = read(r -> r.tasks(new StateReader.TaskFilter(null, null, null, "SPECIAL"), true, 0, 10));
        StateReader.TaskPage otherAgent = read(r -> r.tasks(
                new StateReader.TaskFilter(null, null, "agent-none", null), false, 0, 100));

        assertThat(page.total()).isEqualTo(TASKS);
        assertThat(page.tasks()).hasSize(50).first().extracting(TaskView::taskId).isEqualTo("t-9950");
        assertThat(running.total()).isEqualTo(TASKS / 2);
        assertThat(running.tasks()).hasSize(100).allMatch(t -> t.state() == TaskState.RUNNING);
        assertThat(named.total()).isEqualTo(TASKS / 100);
        assertThat(named.tasks()).extracting(TaskView::taskId).startsWith("special-9900", "special-9800");
        assertThat(otherAgent.total()).isZero();
    }
}
