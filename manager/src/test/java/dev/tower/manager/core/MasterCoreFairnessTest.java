package dev.tower.manager.core;

import dev.tower.api.model.Offer;
import dev.tower.api.model.TaskInfo;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.tower.manager.core.CoreHarness.FrameworkPeer;
import static org.assertj.core.api.Assertions.assertThat;

class MasterCoreFairnessTest {
    private static final double TASK_CPUS = 1;
    private static final double TASK_MEM = 256;

    @Test
    void rolesWeightedOneToThreeSplitAContendedClusterOneToThree() {
        CoreHarness h = new CoreHarness(MasterConfig.defaults().withWeights(Map.of("light", 1.0, "heavy", 3.0)));
        for (int i = 0; i < 12; i++) {
            h.agent("host" + i, 4, 4096); // 48 cpus: room for 48 tasks, cpus dominant
        }
        FrameworkPeer light = h.framework("light-fw", "light");
        FrameworkPeer heavy = h.framework("heavy-fw", "heavy");

        Map<FrameworkPeer, Integer> launched = launchUntilNothingFits(h, List.of(light, heavy));

        assertThat(launched.get(light) + launched.get(heavy)).isEqualTo(48);
        // 1:3 of 48 tasks is 12:36; allow one task either way.
        assertThat(launched.get(light)).isBetween(11, 13);
        assertThat(h.core.allocator().roleShare("light") * 1.0)
                .isCloseTo(h.core.allocator().roleShare("heavy"), org.assertj.core.data.Offset.offset(1.0 / 48 * 3));
    }

    @Test
    void frameworksInOneRoleEndWithEqualShares() {
        CoreHarness h = new CoreHarness(MasterConfig.defaults());
        for (int i = 0; i < 10; i++) {
            h.agent("host" + i, 4, 4096);
        }
        FrameworkPeer first = h.framework("first", "analytics");
        FrameworkPeer second = h.framework("second", "analytics");

        Map<FrameworkPeer, Integer> launched = launchUntilNothingFits(h, List.of(first, second));

        assertThat(launched.get(first) + launched.get(second)).isEqualTo(40);
        assertThat(Math.abs(launched.get(first) - launched.get(second))).isLessThanOrEqualTo(1);
    }

    @Test
    void anUnweightedRoleWithTwoFrameworksGetsHalfNotTwoThirds() {
        // DRF is hierarchical: a role's frameworks share the role's part; a crowded role gets no more.
        CoreHarness h = new CoreHarness(MasterConfig.defaults());
        for (int i = 0; i < 12; i++) {
            h.agent("host" + i, 4, 4096);
        }
        FrameworkPeer a1 = h.framework("a1", "a");
        FrameworkPeer a2 = h.framework("a2", "a");
        FrameworkPeer b = h.framework("b", "b");

        Map<FrameworkPeer, Integer> launched = launchUntilNothingFits(h, List.of(a1, a2, b));

        assertThat(launched.get(b)).isBetween(23, 25);
        assertThat(launched.get(a1) + launched.get(a2)).isBetween(23, 25);
    }

    /**
     * Each framework launches one fixed-size task per offer and declines the rest with refuseSeconds 0; offers too
     * small for a task are declined for an hour. Stops when no offer is outstanding.
     */
    static Map<FrameworkPeer, Integer> launchUntilNothingFits(CoreHarness h, List<FrameworkPeer> frameworks) {
        Map<FrameworkPeer, Integer> launched = new LinkedHashMap<>();
        frameworks.forEach(f -> launched.put(f, 0));
        int guard = 0;
        h.tick(); // a new framework is offered resources at the next allocation cycle
        boolean any = true;
        while (any) {
            any = false;
            for (FrameworkPeer f : frameworks) {
                for (Offer o : f.offers()) {
                    any = true;
                    if (o.resources().cpus() >= TASK_CPUS && o.resources().mem() >= TASK_MEM) {
                        int n = launched.merge(f, 1, Integer::sum);
                        TaskInfo t = Fixtures.task(f.info.name() + "-" + n, TASK_CPUS, TASK_MEM);
                        f.launch(o, t);
                    } else {
                        f.decline(o, 3600);
                    }
                }
            }
            h.tick();
            if (++guard > 10_000) {
                throw new AssertionError("offers never settled");
            }
        }
        return launched;
    }
}
