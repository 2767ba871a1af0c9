package dev.tower.manager.core;

import dev.tower.api.operator.WhyNotView;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static dev.tower.manager.core.CoreHarness.AgentPeer;
import static dev.tower.manager.core.CoreHarness.FrameworkPeer;
import static dev.tower.manager.core.CoreHarness.seconds;
import static org.assertj.core.api.Assertions.assertThat;

class MasterCoreWhyNotTest {
    private final CoreHarness h = new CoreHarness(MasterConfig.defaults());
    private final AgentPeer agent = h.agent("host1", 4, 4096);

    @Test
    void filteredNamesTheTimeTheFilterEnds() {
        FrameworkPeer fw = h.framework("fw", "*");
        h.tick();
        fw.decline(fw.onlyOffer(), 30);

        WhyNotView.Entry w = h.whyNot(fw.id, agent.id);

        assertThat(w.code()).isEqualTo("FILTERED");
        assertThat(w.reason()).contains(Instant.ofEpochMilli(h.clock.millis() + 30_000).toString());
    }

    @Test
    void suppressed() {
        FrameworkPeer fw = h.framework("fw", "*");
        h.tick();
        fw.suppress();
        fw.decline(fw.onlyOffer(), 0);

        assertThat(h.whyNot(fw.id, agent.id).code()).isEqualTo("SUPPRESSED");
    }

    @Test
    void offerOutstandingNamesTheFrameworkHoldingIt() {
        FrameworkPeer a = h.framework("alpha", "*");
        FrameworkPeer b = h.framework("beta", "*");
        h.tick();
        FrameworkPeer holder = a.offers().isEmpty() ? b : a;
        FrameworkPeer other = holder == a ? b : a;

        WhyNotView.Entry w = h.whyNot(other.id, agent.id);

        assertThat(w.code()).isEqualTo("OFFER_OUTSTANDING");
        assertThat(w.reason()).contains(holder.id).contains(holder.info.name());
        assertThat(h.whyNot(holder.id, agent.id).code()).isEqualTo("OFFERED");
    }

    @Test
    void roleOverShareWhenAnotherRoleComesFirst() {
        AgentPeer busy = h.agent("host2", 4, 4096);
        FrameworkPeer y = h.framework("y", "y");
        h.tick();
        for (var o : y.offers()) {
            if (o.agentId().equals(busy.id)) {
                y.launch(o, Fixtures.task("big", 4, 4096)); // role y now holds half the cluster
            } else {
                y.decline(o, 5);
            }
        }
        FrameworkPeer x = h.framework("x", "x");
        h.clock.advance(seconds(6)); // y's filter is over, but no allocation cycle ran yet

        WhyNotView.Entry w = h.whyNot(y.id, agent.id);

        assertThat(w.code()).isEqualTo("ROLE_OVER_SHARE");
        assertThat(w.reason()).contains("role y").contains("role x");
        assertThat(h.whyNot(x.id, agent.id).code()).isEqualTo("PENDING_ALLOCATION");
        h.tick();
        assertThat(x.onlyOffer().agentId()).isEqualTo(agent.id);
    }

    @Test
    void sameRoleFrameworkWithLowerShareComesFirst() {
        AgentPeer busy = h.agent("host2", 4, 4096);
        FrameworkPeer y = h.framework("y", "r");
        h.tick();
        for (var o : y.offers()) {
            if (o.agentId().equals(busy.id)) {
                y.launch(o, Fixtures.task("big", 4, 4096));
            } else {
                y.decline(o, 5);
            }
        }
        FrameworkPeer x = h.framework("x", "r");
        h.clock.advance(seconds(6));

        WhyNotView.Entry w = h.whyNot(y.id, agent.id);

        assertThat(w.code()).isEqualTo("ROLE_OVER_SHARE");
        assertThat(w.reason()).contains("framework " + x.id + " in the same role");
    }

    @Test
    void noFreeResourcesWhenTheAgentIsFull() {
        FrameworkPeer fw = h.framework("fw", "*");
        h.tick();
        fw.launch(fw.onlyOffer(), Fixtures.task("all", 4, 4096));

        WhyNotView.Entry w = h.whyNot(fw.id, agent.id);

        assertThat(w.code()).isEqualTo("NO_FREE_RESOURCES");
    }

    @Test
    void agentUnreachable() {
        FrameworkPeer fw = h.framework("fw", "*");
        agent.disconnect();

        assertThat(h.whyNot(fw.id, agent.id).code()).isEqualTo("AGENT_UNREACHABLE");
    }

    @Test
    void frameworkDisconnected() {
        FrameworkPeer fw = h.framework("fw", "*");
        fw.disconnect();

        WhyNotView.Entry w = h.whyNot(fw.id, agent.id);

        assertThat(w.code()).isEqualTo("FRAMEWORK_DISCONNECTED");
        assertThat(w.reason()).contains("re-subscribes");
    }
}
