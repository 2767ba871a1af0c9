package dev.tower.manager.core;

import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskState;
import dev.tower.api.operator.AgentView;
import dev.tower.api.operator.FrameworkView;
import dev.tower.api.operator.ResourceSample;
import dev.tower.api.operator.RoleView;
import dev.tower.api.operator.StateView;
import dev.tower.api.operator.SubmissionView;
import dev.tower.api.operator.SummaryView;
import dev.tower.api.operator.TaskView;
import dev.tower.api.operator.WhyNotView;
import dev.tower.manager.allocator.WhyNot;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Read-only views of the core's state for the operator API. Use only on the core thread (via Command.Query). */
public final class StateReader {
    private final MasterCore core;

    StateReader(MasterCore core) {
        this.core = core;
    }

    public List<AgentView> agents() {
        List<AgentView> out = new ArrayList<>();
        for (AgentRecord a : core.agents().values()) {
            out.add(view(a));
        }
        return out;
    }

    public List<FrameworkView> frameworks() {
        List<FrameworkView> out = new ArrayList<>();
        for (FrameworkRecord f : core.frameworks().values()) {
            out.add(view(f));
        }
        return out;
    }

    public List<TaskView> tasks() {
        List<TaskView> out = new ArrayList<>();
        for (TaskRecord t : core.tasks().values()) {
            out.add(view(t));
        }
        return out;
    }

    public List<TaskView> completedTasks(int limit) {
        List<TaskView> all = new ArrayList<>();
        for (TaskRecord t : core.completed().values()) {
            all.add(view(t));
        }
        return all.size() <= limit ? all : all.subList(all.size() - limit, all.size());
    }

    public Optional<TaskView> task(String frameworkId, String taskId) {
        String key = TaskRecord.key(frameworkId, taskId);
        TaskRecord t = core.tasks().containsKey(key) ? core.tasks().get(key) : core.completed().get(key);
        return Optional.ofNullable(t).map(this::view);
    }

    /** Active and completed tasks with this id in any framework (task ids are unique only per framework). */
    public List<TaskView> tasksWithId(String taskId) {
        List<TaskView> out = new ArrayList<>();
        for (TaskRecord t : core.tasks().values()) {
            if (t.info.taskId().equals(taskId)) {
                out.add(view(t));
            }
        }
        for (TaskRecord t : core.completed().values()) {
            if (t.info.taskId().equals(taskId)) {
                out.add(view(t));
            }
        }
        return out;
    }

    public Optional<AgentView> agent(String agentId) {
        return Optional.ofNullable(core.agents().get(agentId)).map(this::view);
    }

    public List<RoleView> roles() {
        Map<String, List<String>> members = new TreeMap<>();
        Map<String, Resources> allocated = new TreeMap<>();
        for (FrameworkRecord f : core.frameworks().values()) {
            members.computeIfAbsent(f.info.role(), r -> new ArrayList<>()).add(f.id());
            allocated.merge(f.info.role(), f.used.plus(f.offered), Resources::plus);
        }
        for (String role : core.allocator().weights().keySet()) {
            members.computeIfAbsent(role, r -> new ArrayList<>());
        }
        List<RoleView> out = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : members.entrySet()) {
            String role = e.getKey();
            double weight = core.allocator().weight(role);
            double weighted = core.allocator().roleShare(role);
            out.add(new RoleView(role, weight, allocated.getOrDefault(role, Resources.EMPTY), weighted * weight,
                    weighted, e.getValue()));
        }
        return out;
    }

    public StateView state(int completedLimit) {
        Resources total = Resources.EMPTY;
        Resources allocated = Resources.EMPTY;
        for (AgentRecord a : core.agents().values()) {
            total = total.plus(a.info.resources());
            allocated = allocated.plus(a.used).plus(a.offered);
        }
        return new StateView(null, MasterVersion.VERSION, core.startedAt() / 1000.0, total, allocated, agents(),
                frameworks(), tasks(), completedTasks(completedLimit), roles());
    }

    /** Counts and totals only: what the web UI's overview polls, cheap at 10,000 tasks (states with none left out). */
    public SummaryView summary() {
        Census c = census();
        Map<String, Integer> tasks = new TreeMap<>();
        c.tasks().forEach((state, n) -> {
            if (n > 0) {
                tasks.put(state.name(), n);
            }
        });
        Map<String, Integer> agents = new TreeMap<>(c.agents());
        agents.values().removeIf(n -> n == 0);
        Map<String, Integer> frameworks = new TreeMap<>();
        if (c.frameworksConnected() > 0) {
            frameworks.put("CONNECTED", c.frameworksConnected());
        }
        if (c.frameworksDisconnected() > 0) {
            frameworks.put("DISCONNECTED", c.frameworksDisconnected());
        }
        if (c.frameworksSuppressed() > 0) {
            frameworks.put("SUPPRESSED", c.frameworksSuppressed());
        }
        return new SummaryView(null, MasterVersion.VERSION, core.startedAt() / 1000.0,
                core.epoch(), agents, frameworks, tasks, c.offersOutstanding(), c.capacity(), c.allocated(), c.roles());
    }

    /** The cluster's resources now, for the history the web UI charts. */
    public ResourceSample sample() {
        Resources total = Resources.EMPTY;
        Resources allocated = Resources.EMPTY;
        for (AgentRecord a : core.agents().values()) {
            total = total.plus(a.info.resources());
            allocated = allocated.plus(a.used).plus(a.offered);
        }
        return new ResourceSample(core.nowMillis() / 1000.0, total, allocated);
    }

    /**
     * Active tasks, then the remembered completed ones (or the reverse order with {@code newestFirst}), those
     * {@code filter} keeps, from {@code offset}, at most {@code limit}; with how many the filter kept in all.
     */
    public TaskPage tasks(TaskFilter filter, boolean newestFirst, int offset, int limit) {
        List<TaskRecord> all = new ArrayList<>(core.tasks().size() + core.completed().size());
        all.addAll(core.tasks().values());
        all.addAll(core.completed().values());
        if (newestFirst) {
            Collections.reverse(all);
        }
        List<TaskView> page = new ArrayList<>();
        int matched = 0;
        for (TaskRecord t : all) {
            if (!filter.keeps(t)) {
                continue;
            }
            if (matched >= offset && page.size() < limit) {
                page.add(view(t));
            }
            matched++;
        }
        return new TaskPage(matched, page);
    }

    /**
     * Which tasks a listing keeps; a null field keeps all.
     *
     * @param text matched, ignoring case, anywhere in the task's id or name
     */
    public record TaskFilter(TaskState state, String framework, String agent, String text) {
        boolean keeps(TaskRecord t) {
            return keeps(t.state, t.frameworkId, t.agentId, t.info.taskId(), t.info.name());
        }

        public boolean keeps(TaskView t) {
            return keeps(t.state(), t.frameworkId(), t.agentId(), t.taskId(), t.name());
        }

        private boolean keeps(TaskState s, String frameworkId, String agentId, String id,
                              String name) {
            return (state == null || s == state)
                    && (framework == null || framework.equals(frameworkId))
                    && (agent == null || agent.equals(agentId))
                    && (text == null || contains(id, text) || contains(name, text));
        }

        private static boolean contains(String s, String part) {
            return s != null && s.toLowerCase(Locale.ROOT).contains(part.toLowerCase(Locale.ROOT));
        }
    }

    /** One page of a task listing and how many tasks matched in all. */
    public record TaskPage(int total, List<TaskView> tasks) {
    }

    /** The counts {@code /metrics} shows; one pass over the state, no per-entity views. */
    public Census census() {
        Map<TaskState, Integer> tasks = new EnumMap<>(TaskState.class);
        for (TaskState s : TaskState.values()) {
            tasks.put(s, 0);
        }
        for (TaskRecord t : core.tasks().values()) {
            tasks.merge(t.state, 1, Integer::sum);
        }
        for (TaskRecord t : core.completed().values()) {
            tasks.merge(t.state, 1, Integer::sum);
        }
        Map<String, Integer> agents = new TreeMap<>();
        for (AgentRecord.Status s : AgentRecord.Status.values()) {
            agents.put(s.name(), 0);
        }
        Resources capacity = Resources.EMPTY;
        Resources allocated = Resources.EMPTY;
        for (AgentRecord a : core.agents().values()) {
            agents.merge(a.status.name(), 1, Integer::sum);
            capacity = capacity.plus(a.info.resources());
            allocated = allocated.plus(a.used).plus(a.offered);
        }
        int connected = 0;
        int suppressed = 0;
        for (FrameworkRecord f : core.frameworks().values()) {
            connected += f.connected() ? 1 : 0;
            suppressed += core.allocator().isSuppressed(f.id()) ? 1 : 0;
        }
        return new Census(tasks, agents, connected, core.frameworks().size() - connected, suppressed, capacity,
                allocated, core.offers().size(), roles());
    }

    /**
     * For each agent (or just {@code agentId}), why {@code frameworkId} is not being offered its resources now.
     * Empty when the framework is unknown.
     */
    public Optional<WhyNotView> whyNot(String frameworkId, String agentId) {
        FrameworkRecord f = core.frameworks().get(frameworkId);
        if (f == null) {
            return Optional.empty();
        }
        long now = core.nowMillis();
        List<WhyNotView.Entry> entries = new ArrayList<>();
        for (AgentRecord a : core.agents().values()) {
            if (agentId != null && !agentId.equals(a.id())) {
                continue;
            }
            WhyNot w = whyNot(f, a, now);
            entries.add(new WhyNotView.Entry(a.id(), a.info.hostname(), w.code().name(), w.reason()));
        }
        return Optional.of(new WhyNotView(frameworkId, entries));
    }

    private WhyNot whyNot(FrameworkRecord f, AgentRecord a, long now) {
        if (a.status == AgentRecord.Status.RECOVERING) {
            return new WhyNot(WhyNot.Code.AGENT_RECOVERING, "the agent has not re-subscribed since the master failover");
        }
        if (a.status == AgentRecord.Status.UNREACHABLE) {
            return new WhyNot(WhyNot.Code.AGENT_UNREACHABLE, "the agent is unreachable since "
                    + java.time.Instant.ofEpochMilli(a.unreachableSince));
        }
        if (!f.connected()) {
            return new WhyNot(WhyNot.Code.FRAMEWORK_DISCONNECTED, "the framework is disconnected; it is removed at "
                    + java.time.Instant.ofEpochMilli(f.failoverDeadline) + " unless it re-subscribes");
        }
        for (OfferRecord o : a.offers.values()) {
            if (o.frameworkId().equals(f.id())) {
                return new WhyNot(WhyNot.Code.OFFERED, "offer " + o.id() + " of " + o.resources()
                        + " is outstanding to this framework");
            }
        }
        Optional<WhyNot> alloc = core.allocator().whyNot(f.id(), a.id(), now);
        if (alloc.isPresent() && alloc.get().code() == WhyNot.Code.NO_FREE_RESOURCES && !a.offers.isEmpty()) {
            OfferRecord o = a.offers.values().iterator().next();
            FrameworkRecord holder = core.frameworks().get(o.frameworkId());
            return new WhyNot(WhyNot.Code.OFFER_OUTSTANDING, "offer " + o.id() + " of " + o.resources()
                    + " is outstanding to framework " + o.frameworkId()
                    + (holder != null ? " (" + holder.info.name() + ")" : ""));
        }
        return alloc.orElse(new WhyNot(WhyNot.Code.PENDING_ALLOCATION, "pending allocation"));
    }

    private AgentView view(AgentRecord a) {
        return new AgentView(a.id(), a.info.hostname(), a.info.port(), a.status.name(), a.info.resources(), a.used,
                a.offered, a.info.attributes(), a.taskKeys.size(), a.registeredAt / 1000.0,
                a.status == AgentRecord.Status.UNREACHABLE ? a.unreachableSince / 1000.0 : null);
    }

    private FrameworkView view(FrameworkRecord f) {
        return new FrameworkView(f.id(), f.info.name(), f.info.role(), f.info.principal(),
                f.connected() ? "CONNECTED" : "DISCONNECTED", core.allocator().isSuppressed(f.id()),
                f.info.failoverTimeout(), f.connected() ? null : f.failoverDeadline / 1000.0, f.used, f.offered,
                f.taskKeys.size(), f.offers.size(), f.registeredAt / 1000.0);
    }

    private TaskView view(TaskRecord t) {
        return new TaskView(t.info.taskId(), t.frameworkId, t.agentId, t.info.name(), t.state, t.info.resources(),
                t.info.command(), List.copyOf(t.history), t.info.container());
    }

    // ---- drivers submitted in cluster deploy mode ----

    public List<SubmissionView> submissions() {
        return core.drivers().views();
    }

    public Optional<SubmissionView> submission(String id) {
        return core.drivers().view(id);
    }

    /** What the driver dispatcher has to do now: drivers to launch, and driver tasks to kill. */
    public DriverWork driverWork() {
        return new DriverWork(core.drivers().launchable(core.nowMillis()), core.drivers().killTargets());
    }

    /**
     * @param launch drivers waiting for a task, oldest first
     * @param kill {@code [driverId, taskId, agentId]} of each live driver task to stop
     */
    public record DriverWork(List<RegistrySnapshot.SavedDriver> launch, List<List<String>> kill) {
    }
}
