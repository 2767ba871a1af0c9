package dev.tower.spark;

import dev.tower.api.model.Filters;
import dev.tower.api.model.Offer;
import dev.tower.api.model.Resources;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class ExecutorPlannerTest {
    private static final double LONG = 120;
    /** 1 core and 1408 MB (1 GB heap + 384 MB overhead) per executor, no per-agent limit, no constraints. */
    private final ExecutorPlanner planner = new ExecutorPlanner(1, 1408, Integer.MAX_VALUE, AgentConstraints.NONE, LONG);

    private static Offer offer(String id, String agent, String resources) {
        return offer(id, agent, resources, Map.of());
    }

    private static Offer offer(String id, String agent, String resources, Map<String, String> attributes) {
        return new Offer(id, "fw-1", agent, agent + ".example", Resources.parse(resources), attributes);
    }

    /** Every offer is launched on or declined, exactly once: nothing is held. */
    private static void assertEveryOfferAnswered(OfferPlan plan, List<Offer> offers) {
        List<String> answered = Stream.concat(plan.launches().stream().map(l -> l.offer().id()),
                plan.declines().stream().map(d -> d.offer().id())).toList();
        assertThat(answered).containsExactlyInAnyOrderElementsOf(offers.stream().map(Offer::id).toList());
    }

    @Test
    void spreadsExecutorsRoundRobinOverOffers() {
        List<Offer> offers = List.of(offer("o1", "a1", "cpus:8;mem:16000"), offer("o2", "a2", "cpus:8;mem:16000"));
        OfferPlan plan = planner.plan(offers, 3, ExecutorCounts.NONE, Set.of());
        assertThat(plan.launches()).extracting(l -> l.offer().id(), OfferPlan.Launch::executors)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("o1", 2), org.assertj.core.groups.Tuple.tuple("o2", 1));
        assertThat(plan.launches().get(0).perExecutor()).isEqualTo(Resources.cpusMem(1, 1408));
        assertThat(plan.satisfied()).isTrue();
        assertEveryOfferAnswered(plan, offers);
    }

    @Test
    void declinesWhatItDoesNotNeedForLongOnceSatisfied() {
        List<Offer> offers = List.of(offer("o1", "a1", "cpus:4;mem:8000"), offer("o2", "a2", "cpus:4;mem:8000"));
        OfferPlan plan = planner.plan(offers, 0, ExecutorCounts.NONE, Set.of());
        assertThat(plan.launches()).isEmpty();
        assertThat(plan.declines()).allSatisfy(d -> {
            assertThat(d.refuseSeconds()).isEqualTo(LONG);
            assertThat(d.reason()).contains("has all the executors it asked for");
        });
        assertThat(plan.satisfied()).isTrue();
        assertEveryOfferAnswered(plan, offers);
    }

    @Test
    void takesAsManyAsOffersHoldWhenTheTargetIsUnboundedAndDeclinesTheRestBriefly() {
        List<Offer> offers = List.of(offer("o1", "a1", "cpus:2;mem:16000"), offer("o2", "a2", "cpus:0.5;mem:16000"));
        OfferPlan plan = planner.plan(offers, Integer.MAX_VALUE, ExecutorCounts.NONE, Set.of());
        assertThat(plan.executorsLaunched()).isEqualTo(2);
        assertThat(plan.satisfied()).isFalse();
        // Still wanting more: the rest of the used offer and the too-small one come back soon.
        assertThat(plan.launches().get(0).refuseSeconds()).isEqualTo(Filters.DEFAULT_REFUSE_SECONDS);
        assertThat(plan.declines()).singleElement().satisfies(d -> {
            assertThat(d.offer().id()).isEqualTo("o2");
            assertThat(d.reason()).startsWith("too small for an executor").contains("cpus 1 > 0.5");
            assertThat(d.refuseSeconds()).isEqualTo(Filters.DEFAULT_REFUSE_SECONDS);
        });
    }

    @Test
    void memoryBoundsExecutorsPerOffer() {
        OfferPlan plan = planner.plan(List.of(offer("o1", "a1", "cpus:16;mem:3000")), 10, ExecutorCounts.NONE, Set.of());
        assertThat(plan.executorsLaunched()).isEqualTo(2);
        assertThat(plan.stillWanted()).isEqualTo(8);
    }

    @Test
    void coresMaxBoundsWhatIsWanted() {
        ExecutorPlanner twoCores = new ExecutorPlanner(2, 1408, Integer.MAX_VALUE, AgentConstraints.NONE, LONG);
        // 7 cores allowed, 2 per executor: 3 executors, one already running.
        ExecutorCounts one = new ExecutorCounts(1, 2, Map.of("a1", 1));
        assertThat(twoCores.wanted(OptionalInt.empty(), OptionalInt.of(7), one)).isEqualTo(2);
        assertThat(twoCores.wanted(OptionalInt.of(10), OptionalInt.of(7), one)).isEqualTo(2);
        assertThat(twoCores.wanted(OptionalInt.of(2), OptionalInt.of(7), one)).isEqualTo(1);
        // Cores of executors being killed still count against spark.cores.max until their tasks end.
        ExecutorCounts killing = new ExecutorCounts(0, 6, Map.of("a1", 3));
        assertThat(twoCores.wanted(OptionalInt.empty(), OptionalInt.of(7), killing)).isZero();
        assertThat(twoCores.wanted(OptionalInt.empty(), OptionalInt.empty(), killing))
                .isEqualTo(Integer.MAX_VALUE);
        assertThat(twoCores.wanted(OptionalInt.of(3), OptionalInt.empty(), new ExecutorCounts(5, 10, Map.of())))
                .isZero();
    }

    @Test
    void honoursTheMaximumPerAgentAcrossOffersAndRunningExecutors() {
        ExecutorPlanner twoPerAgent = new ExecutorPlanner(1, 1000, 2, AgentConstraints.NONE, LONG);
        List<Offer> offers = List.of(offer("o1", "a1", "cpus:8;mem:16000"), offer("o2", "a1", "cpus:8;mem:16000"),
                offer("o3", "a2", "cpus:8;mem:16000"));
        ExecutorCounts running = new ExecutorCounts(1, 1, Map.of("a2", 1));
        OfferPlan plan = twoPerAgent.plan(offers, 10, running, Set.of());
        assertThat(plan.executorsLaunched()).isEqualTo(3);
        assertThat(plan.launches()).extracting(l -> l.offer().id()).containsExactly("o1", "o2", "o3");
        assertThat(plan.stillWanted()).isEqualTo(7);

        OfferPlan full = twoPerAgent.plan(List.of(offer("o4", "a2", "cpus:8;mem:16000")), 5,
                new ExecutorCounts(2, 2, Map.of("a2", 2)), Set.of());
        assertThat(full.declines()).singleElement().satisfies(d -> {
            assertThat(d.reason()).contains("spark.tower.executor.maxPerAgent (2) reached");
            assertThat(d.refuseSeconds()).isEqualTo(LONG);
        });
    }

    @Test
    void declinesAgentsThatDoNotMatchTheConstraints() {
        ExecutorPlanner rackOne = new ExecutorPlanner(1, 1000, Integer.MAX_VALUE,
                AgentConstraints.parse("rack:r1"), LONG);
        List<Offer> offers = List.of(offer("o1", "a1", "cpus:4;mem:8000", Map.of("rack", "r2")),
                offer("o2", "a2", "cpus:4;mem:8000", Map.of("rack", "r1")), offer("o3", "a3", "cpus:4;mem:8000"));
        OfferPlan plan = rackOne.plan(offers, 2, ExecutorCounts.NONE, Set.of());
        assertThat(plan.launches()).extracting(l -> l.offer().id()).containsExactly("o2");
        assertThat(plan.declines()).extracting(d -> d.offer().id()).containsExactly("o1", "o3");
        assertThat(plan.declines()).allSatisfy(d -> {
            assertThat(d.reason()).contains("do not satisfy spark.tower.constraints rack:r1");
            assertThat(d.refuseSeconds()).isEqualTo(LONG);
        });
    }

    @Test
    void placesNothingOnExcludedAgents() {
        List<Offer> offers = List.of(offer("o1", "bad", "cpus:4;mem:8000"), offer("o2", "good", "cpus:4;mem:8000"));
        OfferPlan plan = planner.plan(offers, 4, ExecutorCounts.NONE, Set.of("bad"));
        assertThat(plan.launches()).singleElement().satisfies(l -> {
            assertThat(l.offer().agentId()).isEqualTo("good");
            assertThat(l.executors()).isEqualTo(4);
        });
        assertThat(plan.declines()).singleElement().satisfies(d -> {
            assertThat(d.offer().agentId()).isEqualTo("bad");
            assertThat(d.reason()).contains("excluded after executor failures");
            assertThat(d.refuseSeconds()).isEqualTo(LONG);
        });
    }

    @Test
    void theRestOfAnOfferIsRefusedForLongOnceSatisfied() {
        OfferPlan plan = planner.plan(List.of(offer("o1", "a1", "cpus:8;mem:16000")), 1, ExecutorCounts.NONE,
                Set.of());
        assertThat(plan.launches()).singleElement().satisfies(l -> assertThat(l.refuseSeconds()).isEqualTo(LONG));
    }

    @Test
    void dockerExecutorsGoOnlyToAgentsThatRunDockerTasks() {
        ExecutorPlanner docker = new ExecutorPlanner(1, 1408, Integer.MAX_VALUE, AgentConstraints.NONE, LONG, true);
        List<Offer> offers = List.of(offer("o1", "a1", "cpus:4;mem:8000", Map.of("containerizers", "process")),
                offer("o2", "a2", "cpus:4;mem:8000", Map.of("containerizers", "docker,process")));
        OfferPlan plan = docker.plan(offers, 1, ExecutorCounts.NONE, Set.of());
        assertThat(plan.launches()).extracting(l -> l.offer().id()).containsExactly("o2");
        assertThat(plan.declines()).singleElement().satisfies(d -> {
            assertThat(d.offer().id()).isEqualTo("o1");
            assertThat(d.reason()).contains("runs no Docker containers");
        });
    }
}
