package dev.tower.spark;

import dev.tower.api.model.Filters;
import dev.tower.api.model.Offer;
import dev.tower.api.model.Resources;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Decides what to do with offers: how many executors the application still wants and which offers they go on.
 * Pure (no I/O, no clock) so every placement rule is unit-tested; the backend applies the plan.
 *
 * <p>Rules: executors are spread round-robin over the usable offers (one per offer per round, as Spark on Mesos
 * did) so an application gets the memory bandwidth and disks of many agents; an agent is usable when its attributes
 * satisfy the constraints, it is not excluded after failures, and it holds fewer than the per-agent maximum. Every
 * offer is answered: what cannot be used is declined at once, for long when nothing will change without new demand
 * (and new demand revives offers), briefly when the offer was merely too small.
 */
public final class ExecutorPlanner {
    private final int executorCores;
    private final Resources perExecutor;
    private final int maxPerAgent;
    private final AgentConstraints constraints;
    private final double longRefuseSeconds;
    private final boolean docker;

    public ExecutorPlanner(int executorCores, long executorMemoryMb, int maxPerAgent, AgentConstraints constraints,
                           double longRefuseSeconds) {
        this(executorCores, executorMemoryMb, maxPerAgent, constraints, longRefuseSeconds, false);
    }

    /** @param docker executors run in Docker containers: only agents that run them will do */
    public ExecutorPlanner(int executorCores, long executorMemoryMb, int maxPerAgent, AgentConstraints constraints,
                           double longRefuseSeconds, boolean docker) {
        this.docker = docker;
        this.executorCores = executorCores;
        this.perExecutor = Resources.cpusMem(executorCores, executorMemoryMb);
        this.maxPerAgent = maxPerAgent;
        this.constraints = constraints;
        this.longRefuseSeconds = longRefuseSeconds;
    }

    public static ExecutorPlanner of(TowerSparkConf conf) {
        return new ExecutorPlanner(conf.executorCores(), conf.executorTaskMemoryMb(), conf.maxExecutorsPerAgent(),
                conf.constraints(), conf.rejectOfferDuration().toMillis() / 1000.0,
                conf.executorContainer().isPresent());
    }

    public Resources perExecutor() {
        return perExecutor;
    }

    /**
     * Executors still wanted: the target (empty: no limit) minus the active ones, and no more than the cores left
     * under {@code spark.cores.max} allow.
     */
    public int wanted(OptionalInt target, OptionalInt coresMax, ExecutorCounts counts) {
        long byTarget = target.isPresent() ? (long) target.getAsInt() - counts.active() : Integer.MAX_VALUE;
        long byCores = coresMax.isPresent()
                ? (long) (coresMax.getAsInt() - counts.coresInUse()) / executorCores : Integer.MAX_VALUE;
        return (int) Math.max(0, Math.min(byTarget, byCores));
    }

    public OfferPlan plan(List<Offer> offers, int wanted, ExecutorCounts counts, Set<String> excludedAgents) {
        Map<String, String> unusable = new LinkedHashMap<>();
        List<Offer> usable = new ArrayList<>();
        for (Offer o : offers) {
            if (docker && !List.of(o.attributes().getOrDefault("containerizers", "process").split(","))
                    .contains("docker")) {
                unusable.put(o.id(), "agent runs no Docker containers (" + TowerSparkConf.DOCKER_IMAGE + " is set)");
            } else if (!constraints.matches(o.attributes())) {
                unusable.put(o.id(), "agent attributes " + o.attributes() + " do not satisfy "
                        + TowerSparkConf.CONSTRAINTS + " " + constraints);
            } else if (excludedAgents.contains(o.agentId())) {
                unusable.put(o.id(), "agent is excluded after executor failures on it");
            } else {
                usable.add(o);
            }
        }

        Map<String, Resources> left = new HashMap<>();
        Map<String, Integer> placed = new HashMap<>();
        Map<String, Integer> perAgent = new HashMap<>(counts.perAgent());
        usable.forEach(o -> left.put(o.id(), o.resources()));
        int want = wanted;
        boolean progress = true;
        while (progress && want > 0) {
            progress = false;
            for (Offer o : usable) {
                if (want == 0) {
                    break;
                }
                if (perAgent.getOrDefault(o.agentId(), 0) < maxPerAgent && left.get(o.id()).contains(perExecutor)) {
                    left.put(o.id(), left.get(o.id()).minus(perExecutor));
                    placed.merge(o.id(), 1, Integer::sum);
                    perAgent.merge(o.agentId(), 1, Integer::sum);
                    want--;
                    progress = true;
                }
            }
        }

        List<OfferPlan.Launch> launches = new ArrayList<>();
        List<OfferPlan.Decline> declines = new ArrayList<>();
        double restRefuse = want == 0 ? longRefuseSeconds : Filters.DEFAULT_REFUSE_SECONDS;
        for (Offer o : offers) {
            Integer n = placed.get(o.id());
            if (n != null) {
                launches.add(new OfferPlan.Launch(o, n, perExecutor, restRefuse));
            } else if (unusable.containsKey(o.id())) {
                declines.add(new OfferPlan.Decline(o, unusable.get(o.id()), longRefuseSeconds));
            } else if (want == 0) {
                declines.add(new OfferPlan.Decline(o, wanted == 0
                        ? "the application has all the executors it asked for"
                        : "the executors still wanted went on other offers", longRefuseSeconds));
            } else if (perAgent.getOrDefault(o.agentId(), 0) >= maxPerAgent) {
                declines.add(new OfferPlan.Decline(o, TowerSparkConf.MAX_PER_AGENT + " (" + maxPerAgent
                        + ") reached on this agent", longRefuseSeconds));
            } else {
                declines.add(new OfferPlan.Decline(o, "too small for an executor ("
                        + o.resources().shortfall(perExecutor).orElse(perExecutor + " needed") + ")",
                        Filters.DEFAULT_REFUSE_SECONDS));
            }
        }
        return new OfferPlan(launches, declines, want);
    }
}
