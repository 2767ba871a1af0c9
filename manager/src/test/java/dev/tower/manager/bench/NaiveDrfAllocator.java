package dev.tower.manager.bench;

import dev.tower.api.model.Resources;
import dev.tower.manager.allocator.Allocator;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The comparison point for {@link AllocatorCycleBenchmark}: weighted DRF done the naive way, as Mesos's allocator
 * of the 3.53 s figure did. For every agent it rebuilds the list of all frameworks, recomputes every role's and
 * framework's dominant share from scratch, sorts the whole list (role weighted share, role name, framework share,
 * framework id: the same order as Tower's) and gives the agent to the first framework. It makes exactly the
 * grants Tower's allocator makes; {@link NaiveAllocatorBenchmark} checks that before measuring.
 *
 * <p>Only what the benchmark needs: no filters, no suppression, every framework and agent active.
 */
final class NaiveDrfAllocator {
    private static final String[] KINDS = {"cpus", "mem", "disk", "gpus"};
    private static final Comparator<Fw> ORDER = Comparator.<Fw>comparingDouble(f -> f.role.share)
            .thenComparing(f -> f.role.name)
            .thenComparingDouble(f -> f.share)
            .thenComparing(f -> f.id);

    private final String[] agentIds;
    private final Resources[] initialFree;
    private final Resources[] free;
    private final double[] total = new double[KINDS.length];
    private final Fw[] fws;
    private final Role[] roles;

    NaiveDrfAllocator(AllocatorFixture fx) {
        agentIds = new String[fx.agents];
        free = new Resources[fx.agents];
        for (int i = 0; i < fx.agents; i++) {
            agentIds[i] = AllocatorFixture.agentId(i);
            free[i] = AllocatorFixture.AGENT;
            add(total, vec(AllocatorFixture.AGENT));
        }
        roles = new Role[AllocatorFixture.ROLES];
        Map<String, Double> w = AllocatorFixture.weights();
        for (int r = 0; r < roles.length; r++) {
            roles[r] = new Role("role-" + r, w.get("role-" + r));
        }
        fws = new Fw[fx.frameworks];
        for (int i = 0; i < fx.frameworks; i++) {
            fws[i] = new Fw(AllocatorFixture.frameworkId(i), roles[i % AllocatorFixture.ROLES]);
        }
        for (int i = 0; i < fx.frameworks; i++) {
            Resources held = AllocatorFixture.held(i);
            int agent = fx.heldOn(i);
            free[agent] = free[agent].minus(held);
            add(fws[i].initial, vec(held));
            add(fws[i].role.initial, vec(held));
        }
        initialFree = free.clone();
        reset();
    }

    /** Back to the state before any cycle. */
    void reset() {
        System.arraycopy(initialFree, 0, free, 0, free.length);
        for (Fw f : fws) {
            System.arraycopy(f.initial, 0, f.allocated, 0, KINDS.length);
        }
        for (Role r : roles) {
            System.arraycopy(r.initial, 0, r.allocated, 0, KINDS.length);
        }
    }

    List<Allocator.Grant> allocateAll() {
        List<Allocator.Grant> grants = new ArrayList<>();
        for (int a = 0; a < agentIds.length; a++) {
            Resources r = free[a];
            if (r.cpus() < 0.01 && r.mem() < 32) {
                continue;
            }
            // Full rebuild: every share from scratch, every framework sorted, for this one agent.
            for (Role role : roles) {
                role.share = share(role.allocated) / role.weight;
            }
            List<Fw> order = new ArrayList<>(fws.length);
            for (Fw f : fws) {
                f.share = share(f.allocated);
                order.add(f);
            }
            order.sort(ORDER);
            Fw chosen = order.get(0);
            double[] v = vec(r);
            add(chosen.allocated, v);
            add(chosen.role.allocated, v);
            free[a] = Resources.EMPTY;
            grants.add(new Allocator.Grant(chosen.id, agentIds[a], r));
        }
        return grants;
    }

    private double share(double[] allocated) {
        double max = 0;
        for (int k = 0; k < KINDS.length; k++) {
            if (total[k] > 0) {
                max = Math.max(max, allocated[k] / total[k]);
            }
        }
        return max;
    }

    private static double[] vec(Resources r) {
        double[] v = new double[KINDS.length];
        for (int k = 0; k < KINDS.length; k++) {
            v[k] = r.scalar(KINDS[k]);
        }
        return v;
    }

    private static void add(double[] into, double[] v) {
        for (int k = 0; k < into.length; k++) {
            into[k] += v[k];
        }
    }

    private static final class Role {
        final String name;
        final double weight;
        final double[] initial = new double[KINDS.length];
        final double[] allocated = new double[KINDS.length];
        double share;

        Role(String name, double weight) {
            this.name = name;
            this.weight = weight;
        }
    }

    private static final class Fw {
        final String id;
        final Role role;
        final double[] initial = new double[KINDS.length];
        final double[] allocated = new double[KINDS.length];
        double share;

        Fw(String id, Role role) {
            this.id = id;
            this.role = role;
        }
    }
}
