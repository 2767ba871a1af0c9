package dev.tower.manager.core;

import dev.tower.api.model.Offer;
import dev.tower.api.scheduler.SchedulerEvent;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static dev.tower.manager.core.CoreHarness.AgentPeer;
import static dev.tower.manager.core.CoreHarness.FrameworkPeer;
import static dev.tower.manager.core.CoreHarness.seconds;
import static org.assertj.core.api.Assertions.assertThat;

class MasterCoreOffersTest {

    private final CoreHarness h = new CoreHarness(MasterConfig.defaults());

    @Test
    void aDeclinedAgentIsNotReofferedToThatFrameworkBeforeRefuseSecondsButIsAfter() {
        AgentPeer agent = h.agent("host1", 4, 4096);
        FrameworkPeer fw = h.framework("fw", "*");
        h.tick();
        fw.decline(fw.onlyOffer(), 10);

        h.tick();
        assertThat(fw.offers()).isEmpty();
        h.advance(seconds(9.9));
        assertThat(fw.offers()).as("filtered for 10 s").isEmpty();

        h.advance(seconds(0.2));
        assertThat(fw.onlyOffer().agentId()).isEqualTo(agent.id);
    }

    @Test
    void aDeclinedAgentGoesToTheOtherFrameworkAtOnce() {
        AgentPeer agent = h.agent("host1", 4, 4096);
        FrameworkPeer a = h.framework("a", "*");
        FrameworkPeer b = h.framework("b", "*");
        h.tick();
        FrameworkPeer holder = a.offers().isEmpty() ? b : a;
        FrameworkPeer other = holder == a ? b : a;
        holder.decline(holder.onlyOffer(), 60);

        assertThat(other.onlyOffer().agentId()).isEqualTo(agent.id);
        other.decline(other.onlyOffer(), 0);
        h.advance(seconds(30));
        assertThat(holder.offers()).isEmpty();
        assertThat(other.offers()).hasSize(1);
    }

    @Test
    void suppressStopsOffersAndReviveRestartsThem() {
        h.agent("host1", 4, 4096);
        FrameworkPeer fw = h.framework("fw", "*");
        h.tick();
        fw.suppress();
        fw.decline(fw.onlyOffer(), 0);
        h.advance(seconds(60));
        assertThat(fw.offers()).as("suppressed").isEmpty();

        fw.revive();
        h.tick();
        assertThat(fw.offers()).hasSize(1);
    }

    @Test
    void reviveClearsRefuseFilters() {
        h.agent("host1", 4, 4096);
        FrameworkPeer fw = h.framework("fw", "*");
        h.tick();
        fw.decline(fw.onlyOffer(), 3600);
        h.advance(seconds(5));
        assertThat(fw.offers()).isEmpty();

        fw.revive();
        h.tick();
        assertThat(fw.offers()).hasSize(1);
    }

    @Test
    void offersOfALostAgentAreRescindedAndNotReofferedWhileItIsUnreachable() {
        AgentPeer agent = h.agent("host1", 4, 4096);
        AgentPeer other = h.agent("host2", 2, 2048);
        FrameworkPeer fw = h.framework("fw", "*");
        h.tick();
        Offer lost = fw.offers().stream().filter(o -> o.agentId().equals(agent.id)).findFirst().orElseThrow();
        fw.decline(fw.offers().stream().filter(o -> o.agentId().equals(other.id)).findFirst().orElseThrow(), 3600);

        agent.disconnect();

        assertThat(fw.received(SchedulerEvent.Rescind.class)).containsExactly(new SchedulerEvent.Rescind(lost.id()));
        h.advance(seconds(30));
        assertThat(fw.offers()).isEmpty();
        assertThat(h.core.reader().agent(agent.id).orElseThrow().offered().isEmpty()).isTrue();
    }

    @Test
    void anOfferNeitherAcceptedNorDeclinedIsRescindedAtTheOfferTimeout() {
        CoreHarness h = new CoreHarness(MasterConfig.defaults().withOfferTimeout(Duration.ofSeconds(10)));
        AgentPeer agent = h.agent("host1", 4, 4096);
        FrameworkPeer fw = h.framework("fw", "*");
        h.tick();
        Offer first = fw.onlyOffer();

        h.advance(seconds(9));
        assertThat(fw.rescinded()).isEmpty();
        h.advance(seconds(1));

        assertThat(fw.rescinded()).containsExactly(first.id());
        // The resources come back and are offered again, under a new offer id.
        Offer again = fw.onlyOffer();
        assertThat(again.id()).isNotEqualTo(first.id());
        assertThat(again.agentId()).isEqualTo(agent.id);
        assertThat(fw.launch(again, Fixtures.task("t1", 1, 128)).reply().status()).isEqualTo(202);
        assertThat(fw.accept(first, java.util.List.of(Fixtures.task("t2", 1, 128)), 0).reply().error())
                .startsWith("offerIds");
    }

    @Test
    void launchedTaskIsChargedAndTheRestOfTheOfferReturns() {
        AgentPeer agent = h.agent("host1", 4, 4096);
        FrameworkPeer fw = h.framework("fw", "*");
        h.tick();
        fw.launch(fw.onlyOffer(), Fixtures.task("t1", 1, 1024));

        assertThat(agent.received(dev.tower.api.agent.AgentEvent.RunTask.class)).singleElement()
                .satisfies(r -> assertThat(r.task().taskId()).isEqualTo("t1"));
        Offer rest = fw.onlyOffer(); // the remainder was offered again at once (refuseSeconds 0)
        assertThat(rest.resources().cpus()).isEqualTo(3);
        assertThat(rest.resources().mem()).isEqualTo(3072);
        var view = h.core.reader().frameworks().get(0);
        assertThat(view.used().cpus()).isEqualTo(1);
        assertThat(view.offered().cpus()).isEqualTo(3);
    }
}
