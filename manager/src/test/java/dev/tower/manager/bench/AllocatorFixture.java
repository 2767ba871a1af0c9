package dev.tower.manager.bench;

import dev.tower.api.model.Resources;
import dev.tower.manager.allocator.Allocator;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The cluster the allocation-cycle benchmarks share: {@code agents} identical agents, {@code frameworks} frameworks
 * spread round-robin over {@link #ROLES} roles of different weights, each framework already charged a different
 * amount (its running tasks) on one agent, so that every framework and role has a different share.
 */
final class AllocatorFixture {
    static final Resources AGENT = Resources.parse("cpus:16;mem:65536;disk:100000;ports:[31000-32000]");
    static final int ROLES = 10;
    /** Weight of role {@code i}: varied, so that weighted and unweighted orders differ. */
    static final double[] WEIGHTS = {1, 2, 3, 5, 8, 1.5, 0.5, 4, 2.5, 10};

    final int agents;
    final int frameworks;

    AllocatorFixture(int agents, int frameworks) {
        this.agents = agents;
        this.frameworks = frameworks;
    }

    static String agentId(int i) {
        return String.format("agent-%05d", i);
    }

    static String frameworkId(int i) {
        return String.format("fw-%04d", i);
    }

    static String role(int framework) {
        return "role-" + (framework % ROLES);
    }

    static Map<String, Double> weights() {
        Map<String, Double> w = new LinkedHashMap<>();
        for (int r = 0; r < ROLES; r++) {
            w.put("role-" + r, WEIGHTS[r]);
        }
        return w;
    }

    /** What framework {@code i} already holds when the cycle starts: 1-16 cpus and 1-48 GiB, on one agent. */
    static Resources held(int i) {
        return Resources.cpusMem(1 + (i * 7) % 16, 1024.0 * (1 + (i * 13) % 48));
    }

    /** The agent framework {@code i}'s tasks run on (distinct agents: 9,973 is prime to 10,000). */
    int heldOn(int i) {
        return (int) ((long) i * 9_973 % agents);
    }

    Allocator build() {
        Allocator a = new Allocator();
        a.updateWeights(weights());
        for (int i = 0; i < agents; i++) {
            a.addAgent(agentId(i), AGENT);
        }
        for (int i = 0; i < frameworks; i++) {
            a.addFramework(frameworkId(i), role(i));
        }
        for (int i = 0; i < frameworks; i++) {
            a.charge(agentId(heldOn(i)), frameworkId(i), held(i));
        }
        return a;
    }
}
