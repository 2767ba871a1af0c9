package dev.tower.manager.core;

import dev.tower.api.model.Filters;
import dev.tower.api.model.Offer;
import dev.tower.api.model.Resources;
import dev.tower.api.scheduler.SchedulerCall;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.tower.manager.core.CoreHarness.AgentPeer;
import static dev.tower.manager.core.CoreHarness.FrameworkPeer;
import static org.assertj.core.api.Assertions.assertThat;

class MasterCoreValidationTest {
    private final CoreHarness h = new CoreHarness(MasterConfig.defaults());
    private final AgentPeer agent = h.agent("host1", 4, 4096);
    private final FrameworkPeer fw = h.framework("fw", "*");
    private Offer offer;

    @BeforeEach
    void offer() {
        h.tick();
        offer = fw.onlyOffer();
    }

    private Reply accept(Offer o, dev.tower.api.model.TaskInfo... tasks) {
        return fw.accept(o, List.of(tasks), 0).reply();
    }

    private static void assertBadRequest(Reply reply, String fieldPrefix) {
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.error()).startsWith(fieldPrefix);
    }

    @Test
    void anUnknownOfferIdIsRejectedNamingOfferIds() {
        Reply r = fw.call(SchedulerCall.Accept.launch(fw.id, List.of("offer-nope"),
                List.of(Fixtures.task("t1", 1, 128)), null)).reply();
        assertBadRequest(r, "offerIds");
        assertThat(r.error()).contains("offer-nope");
    }

    @Test
    void aTaskLargerThanTheOfferIsRejectedNamingItsResources() {
        Reply r = accept(offer, Fixtures.task("t1", 5, 128));
        assertBadRequest(r, "operations[0].tasks[0].resources");
        assertThat(r.error()).contains("cpus 5 > 4");
    }

    @Test
    void tasksTogetherLargerThanTheOfferAreRejected() {
        assertBadRequest(accept(offer, Fixtures.task("t1", 3, 128), Fixtures.task("t2", 2, 128)),
                "operations[0].tasks[1].resources");
    }

    @Test
    void negativeOrNanResourcesAreRejectedNamingTheResource() {
        assertBadRequest(accept(offer, Fixtures.task("t1", Resources.scalars(Map.of("cpus", -1.0, "mem", 128.0)))),
                "operations[0].tasks[0].resources.cpus");
        assertBadRequest(accept(offer, Fixtures.task("t1", Resources.scalars(Map.of("cpus", 1.0, "mem", Double.NaN)))),
                "operations[0].tasks[0].resources.mem");
    }

    @Test
    void aDuplicateTaskIdIsRejected() {
        assertBadRequest(accept(offer, Fixtures.task("t1", 1, 128), Fixtures.task("t1", 1, 128)),
                "operations[0].tasks[1].taskId");
        assertThat(accept(offer, Fixtures.task("t1", 1, 128)).isError()).isFalse();
        Offer rest = fw.onlyOffer();
        assertBadRequest(accept(rest, Fixtures.task("t1", 1, 128)), "operations[0].tasks[0].taskId");
    }

    @Test
    void aCallOnAStreamThatIsNotTheFrameworksIsRejected() {
        FrameworkPeer other = h.framework("other", "*");
        Reply wrongOwner = other.call(new SchedulerCall.Revive(fw.id)).reply();
        assertBadRequest(wrongOwner, "frameworkId");

        Reply noStream = h.handle(new Command.FromFramework("no-such-stream", new SchedulerCall.Revive(fw.id))).reply();
        assertBadRequest(noStream, "Tower-Stream-Id");

        String oldConn = fw.conn;
        fw.disconnect();
        fw.subscribe();
        Reply staleStream = h.handle(new Command.FromFramework(oldConn, new SchedulerCall.Revive(fw.id))).reply();
        assertBadRequest(staleStream, "Tower-Stream-Id");
    }

    @Test
    void killingAnUnknownTaskIsRejectedNamingTaskId() {
        assertBadRequest(fw.kill("nope").reply(), "taskId");
    }

    @Test
    void aNegativeRefuseIsRejectedNamingFilters() {
        assertBadRequest(fw.call(new SchedulerCall.Decline(fw.id, List.of(offer.id()), Filters.refuse(-1))).reply(),
                "filters.refuseSeconds");
    }

    @Test
    void aRejectedAcceptChangesNothingAndTheOfferStaysUsable() {
        Outcome rejected = fw.call(SchedulerCall.Accept.launch(fw.id, List.of(offer.id()),
                List.of(Fixtures.task("ok", 1, 128), Fixtures.task("too-big", 4, 128)), null));
        assertBadRequest(rejected.reply(), "operations[0].tasks[1].resources");
        assertThat(rejected.effects()).isEmpty();
        assertThat(h.core.reader().tasks()).isEmpty();
        assertThat(h.core.reader().agent(agent.id).orElseThrow().used().isEmpty()).isTrue();
        assertThat(h.core.reader().agent(agent.id).orElseThrow().offered().cpus()).isEqualTo(4);

        assertThat(accept(offer, Fixtures.task("ok", 1, 128)).status()).isEqualTo(202);
        assertThat(h.core.reader().tasks()).hasSize(1);
    }

    @Test
    void anAgentWithoutResourcesOrHostnameIsRejected() {
        Reply noHost = h.handle(new Command.SubscribeAgent(h.openConnection(true), new dev.tower.api.agent.AgentCall.Subscribe(
                new dev.tower.api.model.AgentInfo(null, " ", 5051, Resources.cpusMem(1, 1), Map.of()), List.of()))).reply();
        assertBadRequest(noHost, "agent.hostname");
        Reply nothing = h.handle(new Command.SubscribeAgent(h.openConnection(true), new dev.tower.api.agent.AgentCall.Subscribe(
                new dev.tower.api.model.AgentInfo(null, "h", 5051, Resources.EMPTY, Map.of()), List.of()))).reply();
        assertBadRequest(nothing, "agent.resources");
    }
}
