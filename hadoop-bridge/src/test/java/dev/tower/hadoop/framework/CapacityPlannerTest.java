package dev.tower.hadoop.framework;

import dev.tower.hadoop.yarn.Capacity;
import dev.tower.hadoop.yarn.ClusterDemand;
import dev.tower.hadoop.yarn.NodeManagerPorts;
import dev.tower.hadoop.yarn.NodeReport;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CapacityPlannerTest {
    private static final Capacity UNIT = new Capacity(512, 1);
    private static final Duration IDLE = Duration.ofSeconds(5);
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static NodeManagerSlot slot(String id, Capacity base) {
        NodeManagerSlot s = new NodeManagerSlot(id, "agent-" + id, "127.0.0.1", new NodeManagerPorts(1, 2, 3, 4), base);
        s.running = true;
        s.nodeId = "localhost:" + id;
        return s;
    }

    private static Placeholder running(NodeManagerSlot s, String id) {
        Placeholder p = new Placeholder(id, UNIT);
        p.running = true;
        s.placeholders.put(id, p);
        return p;
    }

    private static NodeReport report(NodeManagerSlot s, Capacity used) {
        return new NodeReport(s.nodeId, "RUNNING", s.held(), used, 0);
    }

    @Test
    void asksForWhatWaitingContainersNeedBeyondTheRoomNodesHave() {
        NodeManagerSlot a = slot("1", new Capacity(1024, 2));
        NodeManagerSlot b = slot("2", UNIT);
        // a is full, b has room for one: five waiting containers of 512 MB need four more.
        Map<String, NodeReport> reports = Map.of("1", report(a, new Capacity(1024, 2)), "2", report(b, Capacity.ZERO));
        ClusterDemand demand = new ClusterDemand(5, 2560, 5);

        assertThat(CapacityPlanner.containersToAdd(demand, List.of(a, b), reports)).isEqualTo(4);
    }

    @Test
    void placeholdersStillStartingCountAsRoomSoTheBridgeDoesNotAskTwice() {
        NodeManagerSlot a = slot("1", UNIT);
        Map<String, NodeReport> reports = Map.of("1", report(a, UNIT));
        a.placeholders.put("p1", new Placeholder("p1", UNIT)); // launched, not running yet
        a.placeholders.put("p2", new Placeholder("p2", UNIT));

        assertThat(CapacityPlanner.containersToAdd(new ClusterDemand(3, 1536, 3), List.of(a), reports)).isEqualTo(1);
        assertThat(CapacityPlanner.containersToAdd(ClusterDemand.NONE, List.of(a), reports)).isZero();
    }

    @Test
    void aNodeManagerNotYetRegisteredCountsWithItsBase() {
        NodeManagerSlot a = slot("1", new Capacity(1024, 2));
        assertThat(CapacityPlanner.containersToAdd(new ClusterDemand(3, 1536, 3), List.of(a), Map.of())).isEqualTo(1);
    }

    @Test
    void releasesNewestFirstOnlyAfterTheIdleDelayAndOnlyWhatYarnLeavesUnused() {
        NodeManagerSlot s = slot("1", UNIT);
        Placeholder older = running(s, "p1");
        Placeholder newer = running(s, "p2");
        // Containers use the base and one placeholder's worth: one placeholder is idle.
        NodeReport r = report(s, new Capacity(1024, 2));

        assertThat(CapacityPlanner.toRelease(s, r, ClusterDemand.NONE, T0, IDLE)).isEmpty();
        assertThat(newer.idleSince).isEqualTo(T0);
        assertThat(older.idleSince).as("its room is in use").isNull();
        assertThat(CapacityPlanner.toRelease(s, r, ClusterDemand.NONE, T0.plusSeconds(4), IDLE)).isEmpty();
        assertThat(CapacityPlanner.toRelease(s, r, ClusterDemand.NONE, T0.plusSeconds(5), IDLE)).containsExactly(newer);
    }

    @Test
    void twoIdlePlaceholdersNeedRoomForBoth() {
        NodeManagerSlot s = slot("1", UNIT);
        running(s, "p1");
        running(s, "p2");
        // 1536 MB capability, 512 used by containers: room for two placeholders' worth only if the base is free too.
        NodeReport r = report(s, new Capacity(512, 1));

        CapacityPlanner.toRelease(s, r, ClusterDemand.NONE, T0, IDLE);
        assertThat(CapacityPlanner.toRelease(s, r, ClusterDemand.NONE, T0.plusSeconds(5), IDLE))
                .extracting(p -> p.taskId).containsExactly("p2", "p1");

        NodeManagerSlot t = slot("2", UNIT);
        running(t, "q1");
        running(t, "q2");
        NodeReport busier = report(t, new Capacity(1024, 2));
        CapacityPlanner.toRelease(t, busier, ClusterDemand.NONE, T0, IDLE);
        assertThat(CapacityPlanner.toRelease(t, busier, ClusterDemand.NONE, T0.plusSeconds(5), IDLE))
                .extracting(p -> p.taskId).containsExactly("q2");
    }

    @Test
    void waitingContainersResetTheIdleClock() {
        NodeManagerSlot s = slot("1", UNIT);
        Placeholder p = running(s, "p1");
        NodeReport r = report(s, Capacity.ZERO);

        CapacityPlanner.toRelease(s, r, ClusterDemand.NONE, T0, IDLE);
        assertThat(CapacityPlanner.toRelease(s, r, new ClusterDemand(1, 4096, 1), T0.plusSeconds(5), IDLE)).isEmpty();
        assertThat(p.idleSince).isNull();
        assertThat(CapacityPlanner.toRelease(s, r, ClusterDemand.NONE, T0.plusSeconds(6), IDLE)).isEmpty();
        assertThat(CapacityPlanner.toRelease(s, r, ClusterDemand.NONE, T0.plusSeconds(11), IDLE)).containsExactly(p);
    }

    @Test
    void aPlaceholderBeingReleasedNoLongerCountsInTheCapabilityToSet() {
        NodeManagerSlot s = slot("1", UNIT);
        Placeholder p = running(s, "p1");
        assertThat(s.held()).isEqualTo(new Capacity(1024, 2));
        p.releasing = true;
        assertThat(s.held()).isEqualTo(UNIT);
        assertThat(s.promised()).isEqualTo(UNIT);
    }
}
