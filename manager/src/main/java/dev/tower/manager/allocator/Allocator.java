package dev.tower.manager.allocator;

import dev.tower.api.model.Resources;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;

/**
 * Hierarchical weighted DRF: an agent's free resources go to the role with the lowest weighted dominant share that
 * has a framework willing to take them, and within that role to the framework with the lowest dominant share.
 *
 * <p>A library with no transport and no clock of its own: the master core tells it what changed and asks it for
 * offers. Incremental: only agents whose free resources or eligible frameworks changed are considered in a cycle,
 * and roles and frameworks stay in sorted sets that are updated as allocations change. Not thread-safe: owned by
 * the core thread.
 *
 * <p>Allocation counts both offered and used resources, so a framework holding offers is charged for them.
 */
public final class Allocator {

    /** Resources of one agent granted to one framework: the master turns each into an offer. */
    public record Grant(String frameworkId, String agentId, Resources resources) {
    }

    /** Smallest offer worth making, as in Mesos: scraps below both are kept until more is free. */
    static final double MIN_CPUS = 0.01;
    static final double MIN_MEM = 32;

    private final ScalarKinds kinds = new ScalarKinds();
    private final ScalarVector total = new ScalarVector();
    private final Map<String, AgentSlot> agents = new LinkedHashMap<>();
    private final Map<String, Client> frameworks = new HashMap<>();
    private final Map<String, RoleNode> roles = new HashMap<>();
    private final TreeSet<RoleNode> roleOrder = new TreeSet<>(RoleNode.ORDER);
    private final Map<String, Double> weights = new HashMap<>();
    private final Set<String> dirty = new LinkedHashSet<>();
    private final PriorityQueue<FilterExpiry> expiries = new PriorityQueue<>();
    private boolean allDirty;
    private boolean sharesStale;
    private int offerable;

    // ---- agents -----------------------------------------------------------------------------------------------

    /** An agent joins with {@code totalResources} free. Tasks it already runs are then charged by {@link #charge}. */
    public void addAgent(String agentId, Resources totalResources) {
        if (agents.containsKey(agentId)) {
            throw new IllegalStateException("agent " + agentId + " already added");
        }
        AgentSlot slot = new AgentSlot(agentId, totalResources, ScalarVector.of(totalResources, kinds));
        agents.put(agentId, slot);
        total.add(slot.totalVec);
        sharesStale = true;
        dirty.add(agentId);
    }

    /** Removes an agent; its allocations must have been recovered first. */
    public void removeAgent(String agentId) {
        AgentSlot slot = agents.remove(agentId);
        if (slot != null) {
            total.subtract(slot.totalVec);
            sharesStale = true;
            dirty.remove(agentId);
        }
    }

    /** An unreachable agent is offered to nobody until reactivated; its resources still count in the total. */
    public void setAgentActive(String agentId, boolean active) {
        AgentSlot slot = agents.get(agentId);
        if (slot != null && slot.active != active) {
            slot.active = active;
            if (active) {
                dirty.add(agentId);
            }
        }
    }

    public boolean hasAgent(String agentId) {
        return agents.containsKey(agentId);
    }

    public Resources free(String agentId) {
        AgentSlot slot = agents.get(agentId);
        return slot == null ? Resources.EMPTY : slot.free;
    }

    // ---- frameworks and roles --------------------------------------------------------------------------------

    public void addFramework(String frameworkId, String role) {
        if (frameworks.containsKey(frameworkId)) {
            throw new IllegalStateException("framework " + frameworkId + " already added");
        }
        Client c = new Client(frameworkId, role);
        frameworks.put(frameworkId, c);
        RoleNode node = roles.computeIfAbsent(role, r -> {
            RoleNode n = new RoleNode(r, weights.getOrDefault(r, 1.0));
            roleOrder.add(n);
            return n;
        });
        node.members.add(c);
        offerable++;
        allDirty = true;
    }

    /** Removes a framework; its allocations must have been recovered first. */
    public void removeFramework(String frameworkId) {
        Client c = frameworks.remove(frameworkId);
        if (c == null) {
            return;
        }
        if (c.offerable()) {
            offerable--;
        }
        RoleNode node = roles.get(c.role);
        node.members.remove(c);
        if (node.members.isEmpty()) {
            roleOrder.remove(node);
            roles.remove(c.role);
        }
    }

    public boolean hasFramework(String frameworkId) {
        return frameworks.containsKey(frameworkId);
    }

    /** A disconnected framework is offered nothing until it reconnects. */
    public void setFrameworkActive(String frameworkId, boolean active) {
        Client c = client(frameworkId);
        boolean before = c.offerable();
        c.active = active;
        afterEligibilityChange(c, before);
    }

    public void suppress(String frameworkId) {
        Client c = client(frameworkId);
        boolean before = c.offerable();
        c.suppressed = true;
        afterEligibilityChange(c, before);
    }

    /** Clears every filter of the framework and lifts suppression. */
    public void revive(String frameworkId) {
        Client c = client(frameworkId);
        boolean before = c.offerable();
        c.suppressed = false;
        c.filters.clear();
        afterEligibilityChange(c, before);
        allDirty = true;
    }

    public boolean isSuppressed(String frameworkId) {
        Client c = frameworks.get(frameworkId);
        return c != null && c.suppressed;
    }

    private void afterEligibilityChange(Client c, boolean before) {
        boolean after = c.offerable();
        if (before != after) {
            offerable += after ? 1 : -1;
            if (after) {
                allDirty = true;
            }
        }
    }

    /** Do not offer this agent to this framework before {@code untilMillis}. */
    public void filter(String frameworkId, String agentId, long untilMillis) {
        Client c = client(frameworkId);
        c.filters.put(agentId, untilMillis);
        expiries.add(new FilterExpiry(untilMillis, frameworkId, agentId));
    }

    public Optional<Long> filteredUntil(String frameworkId, String agentId, long nowMillis) {
        Client c = frameworks.get(frameworkId);
        Long until = c == null ? null : c.filters.get(agentId);
        return until != null && until > nowMillis ? Optional.of(until) : Optional.empty();
    }

    public void updateWeights(Map<String, Double> newWeights) {
        weights.putAll(newWeights);
        for (Map.Entry<String, Double> e : newWeights.entrySet()) {
            RoleNode node = roles.get(e.getKey());
            if (node != null) {
                roleOrder.remove(node);
                node.weight = e.getValue();
                node.share = node.allocated.dominantShare(total) / node.weight;
                roleOrder.add(node);
            }
        }
        allDirty = true;
    }

    public double weight(String role) {
        return weights.getOrDefault(role, 1.0);
    }

    public Map<String, Double> weights() {
        return Map.copyOf(weights);
    }

    // ---- resources moving ------------------------------------------------------------------------------------

    /**
     * Resources allocated to a framework come back (offer declined, rescinded or partly used; task ended): they are
     * free on the agent again and no longer count in the framework's share.
     */
    public void recover(String agentId, String frameworkId, Resources resources) {
        if (resources.isEmpty()) {
            return;
        }
        ScalarVector vec = ScalarVector.of(resources, kinds);
        Client c = frameworks.get(frameworkId);
        if (c != null) {
            reposition(c, () -> c.allocated.subtract(vec), () -> roles.get(c.role).allocated.subtract(vec));
        }
        AgentSlot slot = agents.get(agentId);
        if (slot != null) {
            slot.free = slot.free.plus(resources);
            slot.freeVec.add(vec);
            dirty.add(agentId);
        }
    }

    /** Charges resources to a framework outside an offer: tasks an agent reports when it (re)registers. */
    public void charge(String agentId, String frameworkId, Resources resources) {
        ScalarVector vec = ScalarVector.of(resources, kinds);
        Client c = frameworks.get(frameworkId);
        if (c != null) {
            reposition(c, () -> c.allocated.add(vec), () -> roles.get(c.role).allocated.add(vec));
        }
        AgentSlot slot = agents.get(agentId);
        if (slot != null) {
            slot.free = slot.free.minus(resources);
            slot.freeVec.subtract(vec);
        }
    }

    // ---- allocation ------------------------------------------------------------------------------------------

    /** A batch cycle: every agent whose situation changed since the last cycle, and agents whose filters expired. */
    public List<Grant> allocate(long nowMillis) {
        expireFilters(nowMillis);
        if (allDirty) {
            allDirty = false;
            dirty.clear();
            return allocate(agents.values(), nowMillis);
        }
        if (dirty.isEmpty()) {
            return List.of();
        }
        List<AgentSlot> slots = new ArrayList<>(dirty.size());
        for (String id : dirty) {
            AgentSlot slot = agents.get(id);
            if (slot != null) {
                slots.add(slot);
            }
        }
        dirty.clear();
        return allocate(slots, nowMillis);
    }

    /** A full cycle over every agent, as after a master failover (and what the benchmark measures). */
    public List<Grant> allocateAll(long nowMillis) {
        expireFilters(nowMillis);
        allDirty = false;
        dirty.clear();
        return allocate(agents.values(), nowMillis);
    }

    /** Allocates one agent now, for resources that were just freed. */
    public Optional<Grant> allocateAgent(String agentId, long nowMillis) {
        AgentSlot slot = agents.get(agentId);
        if (slot == null) {
            return Optional.empty();
        }
        refreshShares();
        dirty.remove(agentId);
        return Optional.ofNullable(allocateOne(slot, nowMillis));
    }

    private List<Grant> allocate(Collection<AgentSlot> slots, long nowMillis) {
        refreshShares();
        if (offerable == 0) {
            return List.of();
        }
        List<Grant> grants = new ArrayList<>();
        for (AgentSlot slot : slots) {
            Grant g = allocateOne(slot, nowMillis);
            if (g != null) {
                grants.add(g);
            }
        }
        return grants;
    }

    private Grant allocateOne(AgentSlot slot, long nowMillis) {
        if (!slot.active || !worthOffering(slot)) {
            return null;
        }
        Client chosen = firstEligible(slot, nowMillis, null);
        if (chosen == null) {
            return null;
        }
        Resources granted = slot.free;
        ScalarVector vec = ScalarVector.of(granted, kinds);
        reposition(chosen, () -> chosen.allocated.add(vec), () -> roles.get(chosen.role).allocated.add(vec));
        slot.free = Resources.EMPTY;
        slot.freeVec.subtract(vec);
        return new Grant(chosen.id, slot.id, granted);
    }

    /** The framework that would get this agent now, skipping {@code except}; null when none would. */
    private Client firstEligible(AgentSlot slot, long nowMillis, Client except) {
        for (RoleNode role : roleOrder) {
            for (Client c : role.members) {
                if (c != except && c.offerable() && !filtered(c, slot.id, nowMillis)) {
                    return c;
                }
            }
        }
        return null;
    }

    private static boolean worthOffering(AgentSlot slot) {
        return slot.free.cpus() >= MIN_CPUS || slot.free.mem() >= MIN_MEM;
    }

    private static boolean filtered(Client c, String agentId, long nowMillis) {
        if (c.filters.isEmpty()) {
            return false;
        }
        Long until = c.filters.get(agentId);
        return until != null && until > nowMillis;
    }

    private void expireFilters(long nowMillis) {
        while (!expiries.isEmpty() && expiries.peek().untilMillis <= nowMillis) {
            FilterExpiry e = expiries.poll();
            Client c = frameworks.get(e.frameworkId);
            if (c != null) {
                Long until = c.filters.get(e.agentId);
                if (until != null && until <= nowMillis) {
                    c.filters.remove(e.agentId);
                    dirty.add(e.agentId);
                }
            }
        }
    }

    // ---- explanations ----------------------------------------------------------------------------------------

    /** Why {@code frameworkId} is not getting {@code agentId}'s free resources, as far as allocation goes. */
    public Optional<WhyNot> whyNot(String frameworkId, String agentId, long nowMillis) {
        Client c = frameworks.get(frameworkId);
        AgentSlot slot = agents.get(agentId);
        if (c == null || slot == null) {
            return Optional.empty();
        }
        if (c.suppressed) {
            return Optional.of(new WhyNot(WhyNot.Code.SUPPRESSED,
                    "the framework suppressed offers (SUPPRESS); it gets offers again after REVIVE"));
        }
        Long until = c.filters.get(agentId);
        if (until != null && until > nowMillis) {
            return Optional.of(new WhyNot(WhyNot.Code.FILTERED, "filtered until "
                    + java.time.Instant.ofEpochMilli(until) + " (the framework declined this agent's resources)"));
        }
        if (!worthOffering(slot)) {
            return Optional.of(new WhyNot(WhyNot.Code.NO_FREE_RESOURCES,
                    "insufficient free resources on this agent (free: " + describe(slot.free) + ")"));
        }
        refreshShares();
        Client first = firstEligible(slot, nowMillis, null);
        if (first != null && first != c) {
            RoleNode mine = roles.get(c.role);
            RoleNode theirs = roles.get(first.role);
            if (mine != theirs) {
                return Optional.of(new WhyNot(WhyNot.Code.ROLE_OVER_SHARE, String.format(
                        "role %s is over its share: weighted dominant share %.3f (weight %s) vs role %s at %.3f "
                                + "(weight %s), which gets this agent first",
                        c.role, mine.share, fmt(mine.weight), theirs.name, theirs.share, fmt(theirs.weight))));
            }
            return Optional.of(new WhyNot(WhyNot.Code.ROLE_OVER_SHARE, String.format(
                    "framework %s in the same role has a lower dominant share (%.3f vs %.3f) and gets this agent first",
                    first.id, first.share, c.share)));
        }
        return Optional.of(new WhyNot(WhyNot.Code.PENDING_ALLOCATION,
                "free resources will be offered at the next allocation cycle"));
    }

    /** A role's weighted dominant share, as the allocator sorts by it. */
    public double roleShare(String role) {
        refreshShares();
        RoleNode node = roles.get(role);
        return node == null ? 0 : node.share;
    }

    /** A framework's dominant share of the cluster. */
    public double frameworkShare(String frameworkId) {
        refreshShares();
        Client c = frameworks.get(frameworkId);
        return c == null ? 0 : c.share;
    }

    private static String describe(Resources r) {
        return r.isEmpty() ? "nothing" : r.toString();
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    // ---- sorted structures -----------------------------------------------------------------------------------

    private Client client(String frameworkId) {
        Client c = frameworks.get(frameworkId);
        if (c == null) {
            throw new IllegalStateException("unknown framework " + frameworkId);
        }
        return c;
    }

    /** Changes a framework's and its role's allocation, keeping both sorted sets ordered. */
    private void reposition(Client c, Runnable changeClient, Runnable changeRole) {
        RoleNode node = roles.get(c.role);
        roleOrder.remove(node);
        node.members.remove(c);
        changeClient.run();
        changeRole.run();
        c.share = c.allocated.dominantShare(total);
        node.share = node.allocated.dominantShare(total) / node.weight;
        node.members.add(c);
        roleOrder.add(node);
    }

    /** After the cluster total changed every share is different: re-sort everything once. */
    private void refreshShares() {
        if (!sharesStale) {
            return;
        }
        sharesStale = false;
        roleOrder.clear();
        for (RoleNode node : roles.values()) {
            List<Client> members = new ArrayList<>(node.members);
            node.members.clear();
            for (Client c : members) {
                c.share = c.allocated.dominantShare(total);
                node.members.add(c);
            }
            node.share = node.allocated.dominantShare(total) / node.weight;
            roleOrder.add(node);
        }
    }

    private static final class AgentSlot {
        final String id;
        final ScalarVector totalVec;
        Resources free;
        final ScalarVector freeVec;
        boolean active = true;

        AgentSlot(String id, Resources total, ScalarVector totalVec) {
            this.id = id;
            this.totalVec = totalVec;
            this.free = total;
            this.freeVec = new ScalarVector();
            this.freeVec.add(totalVec);
        }
    }

    private static final class Client {
        static final java.util.Comparator<Client> ORDER =
                java.util.Comparator.<Client>comparingDouble(c -> c.share).thenComparing(c -> c.id);
        final String id;
        final String role;
        final ScalarVector allocated = new ScalarVector();
        final Map<String, Long> filters = new HashMap<>();
        double share;
        boolean active = true;
        boolean suppressed;

        Client(String id, String role) {
            this.id = id;
            this.role = role;
        }

        boolean offerable() {
            return active && !suppressed;
        }
    }

    private static final class RoleNode {
        static final java.util.Comparator<RoleNode> ORDER =
                java.util.Comparator.<RoleNode>comparingDouble(r -> r.share).thenComparing(r -> r.name);
        final String name;
        final ScalarVector allocated = new ScalarVector();
        final TreeSet<Client> members = new TreeSet<>(Client.ORDER);
        double weight;
        double share;

        RoleNode(String name, double weight) {
            this.name = name;
            this.weight = weight;
        }
    }

    private record FilterExpiry(long untilMillis, String frameworkId, String agentId) implements Comparable<FilterExpiry> {
        @Override
        public int compareTo(FilterExpiry o) {
            return Long.compare(untilMillis, o.untilMillis);
        }
    }
}
