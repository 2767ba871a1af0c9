package dev.tower.manager.core;

import dev.tower.api.agent.AgentCall;
import dev.tower.api.agent.AgentEvent;
import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.Filters;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Offer;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.api.scheduler.SchedulerEvent;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A deterministic simulation of a cluster around one {@link MasterCore}: simulated agents and frameworks that behave
 * like the real ones, a network that drops, duplicates and reorders calls and cuts streams, and a manual clock. One
 * seeded {@link Random} decides everything, so a run is a pure function of its seed. Invariants are checked after
 * every step; {@link #quiesceAndCheck()} then heals the network, lets everything settle and checks the end state.
 */
final class Simulation {
    static final MasterConfig CONFIG = MasterConfig.defaults()
            .withOfferTimeout(Duration.ofSeconds(60))
            .withAgentUnreachableTimeout(Duration.ofSeconds(60))
            .withWeights(Map.of("batch", 1.0, "service", 3.0));
    private static final String[] ROLES = {"batch", "service", "*"};
    private static final double[] FAILOVER = {0, 20, 60, 300, 300};
    private static final double[] TASK_CPUS = {0.1, 0.25, 0.5, 1, 2};
    private static final double[] TASK_MEM = {32, 64, 128, 256, 512, 1024};
    private static final int MAX_AGENTS = 8;
    private static final int MAX_FRAMEWORKS = 4;
    private static final double EPS = 1e-6;

    final long seed;
    final Random rnd;
    final CoreHarness h;
    final List<SimAgent> agents = new ArrayList<>();
    final List<SimFramework> frameworks = new ArrayList<>();
    final Map<String, SimFramework> frameworkById = new HashMap<>();
    /** Calls from peers to the master, in flight: delivered in random order. */
    final List<Command> inflight = new ArrayList<>();
    boolean faults = true;
    long step;

    // figures
    long callsDelivered;
    long eventsDelivered;
    long dropped;
    long duplicated;
    long cuts;
    long tasksAccepted;
    long accepts;
    long acceptsRejected;
    long inflightSum;
    long offersMade;

    Simulation(long seed) {
        this.seed = seed;
        this.rnd = new Random(seed);
        this.h = new CoreHarness(CONFIG, seed ^ 0x5DEECE66DL);
        h.keepEvents = false; // checked as they come, not kept
    }

    // ==== the run ===================================================================================================

    void run(int steps) {
        for (int i = 0; i < 3; i++) {
            addAgent();
        }
        addFramework();
        for (step = 1; step <= steps; step++) {
            step();
            checkInvariants();
            inflightSum += inflight.size();
        }
    }

    private void step() {
        int r = rnd.nextInt(1000);
        if (r < 300) {
            for (int k = rnd.nextInt(4); k >= 0; k--) {
                deliverOneCall();
            }
        } else if (r < 560) {
            for (int k = rnd.nextInt(3); k >= 0; k--) {
                deliverEvents(rnd.nextInt(6) + 1);
            }
        } else if (r < 680) {
            advance(rnd.nextInt(3000) + 1);
        } else if (r < 800) {
            frameworkActsOnAnOffer();
        } else if (r < 850) {
            agentTaskEnds();
        } else if (r < 870) {
            frameworkKillsATask();
        } else if (r < 880) {
            SimFramework f = anyFramework();
            if (f != null && f.connected()) {
                f.send(new SchedulerCall.Reconcile(f.id, List.of()));
            }
        } else if (r < 895) {
            SimFramework f = anyFramework();
            if (f != null && f.connected()) {
                f.send(rnd.nextInt(3) == 0 ? new SchedulerCall.Suppress(f.id) : new SchedulerCall.Revive(f.id));
            }
        } else if (r < 915) {
            cutAStream();
        } else if (r < 960) {
            reconnectOne();
        } else if (r < 966) {
            SimFramework f = anyFramework();
            if (f != null && f.connected() && !f.tearingDown) {
                f.subscribe(); // a new scheduler instance takes over while the old stream is still open
            }
        } else if (r < 968) {
            SimFramework f = anyFramework();
            if (f != null && f.connected() && !f.tearingDown && rnd.nextBoolean()) {
                f.tearingDown = true;
                f.send(new SchedulerCall.Teardown(f.id));
            }
        } else if (r < 975) {
            if (liveFrameworks() < MAX_FRAMEWORKS) {
                addFramework();
            }
        } else if (r < 980) {
            if (agents.size() < MAX_AGENTS) {
                addAgent();
            }
        } else if (r < 985) {
            advance(10_000 + rnd.nextInt(80_000));
        } else {
            for (SimFramework f : frameworks) {
                if (f.tearingDown && f.connected()) {
                    f.send(new SchedulerCall.Teardown(f.id));
                }
            }
        }
    }

    // ==== the network ===============================================================================================

    Outcome handle(Command c) {
        Outcome o = h.handle(c);
        for (CoreHarness.Stream s : h.drainClosedByMaster()) {
            // The transport notices the end of a stream the master closed and says so.
            inflight.add(s.agent ? new Command.AgentStreamClosed(s.id) : new Command.FrameworkStreamClosed(s.id));
        }
        return o;
    }

    /** A peer POSTs a call: it may be lost or duplicated, and is delivered in random order with the others. */
    void post(Command c) {
        if (faults && rnd.nextInt(100) < 3) {
            dropped++;
            return;
        }
        inflight.add(c);
        if (faults && rnd.nextInt(100) < 3) {
            duplicated++;
            inflight.add(c);
        }
    }

    private void deliverOneCall() {
        if (inflight.isEmpty()) {
            return;
        }
        int i = rnd.nextInt(inflight.size());
        Command c = inflight.get(i);
        inflight.set(i, inflight.get(inflight.size() - 1));
        inflight.remove(inflight.size() - 1);
        deliver(c);
    }

    private void deliver(Command c) {
        callsDelivered++;
        Outcome o = handle(c);
        Reply reply = o.reply();
        if (c instanceof Command.FromFramework ff) {
            if (!reply.isError() && ff.call() instanceof SchedulerCall.Accept a) {
                SimFramework f = frameworkById.get(a.frameworkId());
                for (var op : a.operations()) {
                    for (TaskInfo t : ((dev.tower.api.scheduler.Operation.Launch) op).tasks()) {
                        f.accepted.put(t.taskId(), TaskState.STAGING);
                        tasksAccepted++;
                    }
                }
            }
            if (ff.call() instanceof SchedulerCall.Accept) {
                if (reply.isError()) {
                    acceptsRejected++;
                }
                accepts++;
            }
            if (reply.isError() && !reply.error().startsWith("Tower-Stream-Id")
                    && !reply.error().startsWith("offerIds: unknown offer")) {
                fail("unexpected 400 for " + ff.call() + ": " + reply.error());
            }
        } else if (c instanceof Command.FromAgent fa) {
            if (reply.isError() && !reply.error().startsWith("Tower-Stream-Id")) {
                fail("unexpected 400 for " + fa.call() + ": " + reply.error());
            }
        }
    }

    /** Reads up to {@code max} events from a random peer's stream, in order. */
    private void deliverEvents(int max) {
        int n = agents.size() + frameworks.size();
        if (n == 0) {
            return;
        }
        int i = rnd.nextInt(n);
        if (i < agents.size()) {
            agents.get(i).read(max);
        } else {
            frameworks.get(i - agents.size()).read(max);
        }
    }

    private void cutAStream() {
        int n = agents.size() + frameworks.size();
        int i = rnd.nextInt(n);
        String conn = i < agents.size() ? agents.get(i).conn : frameworks.get(i - agents.size()).conn;
        if (conn != null) {
            cuts++;
            CoreHarness.Stream s = h.stream(conn);
            if (s != null && !s.cut) {
                h.cut(conn);
                // Not lost: the transport always notices a broken stream, sooner or later.
                inflight.add(s.agent ? new Command.AgentStreamClosed(conn) : new Command.FrameworkStreamClosed(conn));
            }
        }
    }

    // ==== time ======================================================================================================

    void advance(long millis) {
        h.clock.advanceMillis(millis);
        long now = h.clock.millis();
        for (SimAgent a : agents) {
            a.timers(now);
        }
        handle(new Command.Tick());
    }

    // ==== actions ===================================================================================================

    private void addAgent() {
        double cpus = 2 + rnd.nextInt(7);
        double mem = 1024 * (2 + rnd.nextInt(15));
        SimAgent a = new SimAgent("host" + agents.size(), Resources.cpusMem(cpus, mem));
        agents.add(a);
        a.subscribe();
    }

    private void addFramework() {
        String role = ROLES[rnd.nextInt(ROLES.length)];
        double failover = FAILOVER[rnd.nextInt(FAILOVER.length)];
        SimFramework f = new SimFramework("fw" + frameworks.size(), role, failover);
        frameworks.add(f);
        f.subscribe();
    }

    private int liveFrameworks() {
        int n = 0;
        for (SimFramework f : frameworks) {
            n += f.gone ? 0 : 1;
        }
        return n;
    }

    private void frameworkActsOnAnOffer() {
        SimFramework f = anyFramework();
        if (f == null || f.offers.isEmpty() || !f.connected()) {
            return;
        }
        List<Offer> list = new ArrayList<>(f.offers.values());
        Offer o = list.get(rnd.nextInt(list.size()));
        f.offers.remove(o.id());
        if (f.tearingDown || rnd.nextInt(10) < 3) {
            double[] refuse = {0, 1, 5, 30};
            f.send(new SchedulerCall.Decline(f.id, List.of(o.id()), Filters.refuse(refuse[rnd.nextInt(4)])));
            return;
        }
        double cpus = o.resources().cpus();
        double mem = o.resources().mem();
        List<TaskInfo> tasks = new ArrayList<>();
        int want = 1 + rnd.nextInt(3);
        for (int k = 0; k < want; k++) {
            double c = TASK_CPUS[rnd.nextInt(TASK_CPUS.length)];
            double m = TASK_MEM[rnd.nextInt(TASK_MEM.length)];
            if (c <= cpus + EPS && m <= mem + EPS) {
                cpus -= c;
                mem -= m;
                tasks.add(Fixtures.task("t" + (++f.nextTask), c, m));
            }
        }
        double[] refuse = {0, 0, 1, 5};
        f.send(SchedulerCall.Accept.launch(f.id, List.of(o.id()), tasks, Filters.refuse(refuse[rnd.nextInt(4)])));
    }

    private void agentTaskEnds() {
        SimAgent a = any(agents);
        if (a == null || a.tasks.isEmpty()) {
            return;
        }
        List<SimTask> running = new ArrayList<>();
        for (SimTask t : a.tasks.values()) {
            if (!t.state.isTerminal()) {
                running.add(t);
            }
        }
        if (!running.isEmpty()) {
            SimTask t = running.get(rnd.nextInt(running.size()));
            a.transition(t, rnd.nextInt(4) == 0 ? TaskState.FAILED : TaskState.FINISHED);
        }
    }

    private void frameworkKillsATask() {
        SimFramework f = anyFramework();
        if (f == null || !f.connected()) {
            return;
        }
        List<String> live = new ArrayList<>();
        f.accepted.forEach((id, st) -> {
            if (!st.isTerminal()) {
                live.add(id);
            }
        });
        if (!live.isEmpty()) {
            f.send(new SchedulerCall.Kill(f.id, live.get(rnd.nextInt(live.size())), null));
        }
    }

    private void reconnectOne() {
        long now = h.clock.millis();
        List<Runnable> due = new ArrayList<>();
        for (SimAgent a : agents) {
            if (a.conn == null && a.backAt <= now) {
                due.add(a::subscribe);
            }
        }
        for (SimFramework f : frameworks) {
            if (!f.gone && f.conn == null && f.backAt <= now) {
                due.add(f::subscribe);
            }
        }
        if (!due.isEmpty()) {
            due.get(rnd.nextInt(due.size())).run();
        }
    }

    /** A random framework that has not been removed. */
    private SimFramework anyFramework() {
        List<SimFramework> live = new ArrayList<>(frameworks.size());
        for (SimFramework f : frameworks) {
            if (!f.gone) {
                live.add(f);
            }
        }
        return any(live);
    }

    private <T> T any(List<T> list) {
        return list.isEmpty() ? null : list.get(rnd.nextInt(list.size()));
    }

    // ==== the end ===================================================================================================

    /** Heals the network, reconnects everyone, kills every task, lets it all settle; then checks the end state. */
    void quiesceAndCheck() {
        faults = false;
        for (int round = 0; round < 2000; round++) {
            for (SimAgent a : agents) {
                if (a.conn == null) {
                    a.subscribe();
                }
            }
            for (SimFramework f : frameworks) {
                if (!f.gone && f.conn == null) {
                    f.subscribe();
                }
            }
            while (!inflight.isEmpty() || anyEventPending()) {
                while (!inflight.isEmpty()) {
                    deliver(inflight.remove(0));
                    checkInvariants();
                }
                for (SimAgent a : agents) {
                    a.read(Integer.MAX_VALUE);
                }
                for (SimFramework f : frameworks) {
                    f.read(Integer.MAX_VALUE);
                }
            }
            if (settled()) {
                checkEndState();
                return;
            }
            for (SimFramework f : frameworks) {
                if (!f.connected()) {
                    continue;
                }
                if (!f.suppressed) {
                    f.suppressed = true;
                    f.send(new SchedulerCall.Suppress(f.id));
                }
                for (String offerId : List.copyOf(f.offers.keySet())) {
                    f.offers.remove(offerId);
                    f.send(new SchedulerCall.Decline(f.id, List.of(offerId), Filters.refuse(3600)));
                }
                if (f.tearingDown) {
                    f.send(new SchedulerCall.Teardown(f.id));
                } else if (round % 5 == 0) {
                    f.accepted.forEach((id, st) -> {
                        if (!st.isTerminal()) {
                            f.send(new SchedulerCall.Kill(f.id, id, null));
                        }
                    });
                }
            }
            step++;
            advance(1000);
            checkInvariants();
        }
        fail("did not settle after the faults stopped: " + describe());
    }

    private boolean anyEventPending() {
        for (SimAgent a : agents) {
            CoreHarness.Stream s = a.conn == null ? null : h.stream(a.conn);
            if (s != null && (!s.pending.isEmpty() || s.ended())) {
                return true;
            }
        }
        for (SimFramework f : frameworks) {
            CoreHarness.Stream s = f.conn == null ? null : h.stream(f.conn);
            if (s != null && (!s.pending.isEmpty() || s.ended())) {
                return true;
            }
        }
        return false;
    }

    private boolean settled() {
        for (SimAgent a : agents) {
            if (!a.tasks.isEmpty() || a.conn == null) {
                return false;
            }
        }
        for (SimFramework f : frameworks) {
            if (f.gone) {
                continue;
            }
            if (f.tearingDown || f.conn == null) {
                return false;
            }
            for (TaskState st : f.accepted.values()) {
                if (!st.isTerminal()) {
                    return false;
                }
            }
        }
        for (TaskRecord t : h.core.tasks().values()) {
            if (!t.unacked.isEmpty() || !t.terminalSent) {
                return false;
            }
        }
        return true;
    }

    private void checkEndState() {
        for (SimFramework f : frameworks) {
            boolean inMaster = f.id != null && h.core.frameworks().containsKey(f.id);
            if (f.gone) {
                check(!inMaster, "framework " + f.id + " believes it was removed but the master still has it");
                continue;
            }
            check(inMaster, "framework " + f.id + " is live but unknown to the master");
            for (Map.Entry<String, TaskState> e : f.accepted.entrySet()) {
                String taskId = e.getKey();
                check(f.terminalUuid.containsKey(taskId), "task " + f.id + "/" + taskId
                        + " accepted by the master never got a terminal status to its framework (last "
                        + e.getValue() + ")");
                String key = TaskRecord.key(f.id, taskId);
                check(!h.core.tasks().containsKey(key), "task " + key + " still has unacknowledged statuses");
                TaskRecord done = h.core.completed().get(key);
                check(done != null && done.unacked.isEmpty(), "task " + key + " not settled in the master");
            }
        }
        for (TaskRecord t : h.core.tasks().values()) {
            check(t.unacked.isEmpty(), "the master holds unacknowledged statuses of " + t.key);
        }
        for (SimAgent a : agents) {
            check(a.tasks.isEmpty(), "agent " + a.id + " still runs " + a.tasks.keySet());
        }
    }

    // ==== invariants ================================================================================================

    void checkInvariants() {
        MasterCore c = h.core;
        Map<String, double[]> usedByAgent = new HashMap<>();
        Map<String, double[]> usedByFramework = new HashMap<>();
        for (TaskRecord t : c.tasks().values()) {
            if (t.terminalSent) {
                continue;
            }
            AgentRecord a = c.agents().get(t.agentId);
            FrameworkRecord f = c.frameworks().get(t.frameworkId);
            if (f == null || a == null || !a.taskKeys.contains(t.key) || !f.taskKeys.contains(t.key)) {
                fail("active task " + t.key + " has no framework, no agent or is not indexed by them");
            }
            add(usedByAgent, t.agentId, t.info.resources());
            add(usedByFramework, t.frameworkId, t.info.resources());
        }
        Map<String, double[]> offeredByAgent = new HashMap<>();
        Map<String, double[]> offeredByFramework = new HashMap<>();
        Map<String, Integer> offersByAgent = new HashMap<>();
        for (OfferRecord o : c.offers().values()) {
            AgentRecord a = c.agents().get(o.agentId());
            FrameworkRecord f = c.frameworks().get(o.frameworkId());
            if (a == null || !a.connected() || f == null || !f.connected()) {
                fail("offer " + o.id() + " of an agent or to a framework that is not connected");
            }
            if (!a.offers.containsKey(o.id()) || !f.offers.containsKey(o.id())) {
                fail("offer " + o.id() + " not indexed by its agent and framework");
            }
            add(offeredByAgent, o.agentId(), o.resources());
            add(offeredByFramework, o.frameworkId(), o.resources());
            offersByAgent.merge(o.agentId(), 1, Integer::sum);
        }
        for (AgentRecord a : c.agents().values()) {
            double[] used = usedByAgent.getOrDefault(a.id(), ZERO);
            double[] offered = offeredByAgent.getOrDefault(a.id(), ZERO);
            Resources total = a.info.resources();
            Resources free = c.allocator().free(a.id());
            boolean ok = same(a.used, used) && same(a.offered, offered)
                    && a.offers.size() == offersByAgent.getOrDefault(a.id(), 0);
            for (int k = 0; k < 2 && ok; k++) {
                double t = k == 0 ? total.cpus() : total.mem();
                double fr = k == 0 ? free.cpus() : free.mem();
                ok = used[k] + offered[k] <= t + EPS && Math.abs(fr + used[k] + offered[k] - t) < EPS;
            }
            if (!ok) {
                fail("agent " + a.id() + " books do not add up: total " + total + ", used " + a.used
                        + " (its active tasks: " + fmt(used) + "), offered " + a.offered + " (its offers: "
                        + fmt(offered) + ", " + a.offers.size() + " indexed), allocator free " + free
                        + " — used + offered must equal the tasks and offers, stay within total, and add to total"
                        + " with free");
            }
        }
        for (FrameworkRecord f : c.frameworks().values()) {
            double[] used = usedByFramework.getOrDefault(f.id(), ZERO);
            double[] offered = offeredByFramework.getOrDefault(f.id(), ZERO);
            if (!same(f.used, used) || !same(f.offered, offered)) {
                fail("framework " + f.id() + ": used " + f.used + " / offered " + f.offered
                        + " differ from its active tasks " + fmt(used) + " / its offers " + fmt(offered));
            }
        }
    }

    private static final double[] ZERO = new double[2];

    private static boolean same(Resources r, double[] expected) {
        return Math.abs(r.cpus() - expected[0]) < EPS && Math.abs(r.mem() - expected[1]) < EPS;
    }

    private static void add(Map<String, double[]> m, String key, Resources r) {
        double[] v = m.computeIfAbsent(key, k -> new double[2]);
        v[0] += r.cpus();
        v[1] += r.mem();
    }

    private static String fmt(double[] v) {
        return "cpus:" + v[0] + ";mem:" + v[1];
    }

    void check(boolean ok, String message) {
        if (!ok) {
            fail(message);
        }
    }

    void fail(String message) {
        throw new SimulationFailure("seed " + seed + ", step " + step + ": " + message);
    }

    String describe() {
        StringBuilder sb = new StringBuilder();
        for (SimAgent a : agents) {
            sb.append("\n  agent ").append(a.id).append(" conn=").append(a.conn).append(" tasks=").append(a.tasks);
        }
        for (SimFramework f : frameworks) {
            sb.append("\n  framework ").append(f.id).append(" gone=").append(f.gone).append(" conn=").append(f.conn)
                    .append(" tearingDown=").append(f.tearingDown).append(" tasks=").append(f.accepted);
        }
        sb.append("\n  master frameworks ").append(h.core.frameworks().keySet());
        for (TaskRecord t : h.core.tasks().values()) {
            sb.append("\n  master task ").append(t.key).append(' ').append(t.state).append(" unacked=")
                    .append(t.unacked.size());
        }
        return sb.toString();
    }

    static final class SimulationFailure extends AssertionError {
        SimulationFailure(String message) {
            super(message);
        }
    }

    // ==== simulated agent ===========================================================================================

    /** One task on a simulated agent, with its status stream: only the head is in flight until acknowledged. */
    static final class SimTask {
        final String frameworkId;
        final TaskInfo info;
        TaskState state;
        final ArrayDeque<TaskStatus> stream = new ArrayDeque<>();
        long resendAt;

        SimTask(String frameworkId, TaskInfo info, TaskState state) {
            this.frameworkId = frameworkId;
            this.info = info;
            this.state = state;
        }

        @Override
        public String toString() {
            return state + (stream.isEmpty() ? "" : "+" + stream.size() + " unacked");
        }
    }

    final class SimAgent {
        final String hostname;
        final Resources total;
        String id;
        String conn;
        boolean subscribed;
        long backAt;
        long nextHeartbeat;
        final Map<String, SimTask> tasks = new LinkedHashMap<>();
        private int uuids;

        SimAgent(String hostname, Resources total) {
            this.hostname = hostname;
            this.total = total;
        }

        void subscribe() {
            List<AgentCall.TaskReport> reports = new ArrayList<>();
            for (SimTask t : tasks.values()) {
                if (t.info != null) {
                    reports.add(new AgentCall.TaskReport(t.frameworkId, t.info, t.state, null));
                }
            }
            if (conn != null) {
                h.forget(conn);
            }
            conn = h.openConnection(true);
            subscribed = false;
            AgentInfo info = new AgentInfo(id, hostname, 5051, total, Map.of());
            Outcome o = handle(new Command.SubscribeAgent(conn, new AgentCall.Subscribe(info, reports)));
            check(!o.reply().isError(), "agent subscription rejected: " + o.reply().error());
        }

        void disconnected() {
            h.forget(conn);
            conn = null;
            subscribed = false;
            backAt = h.clock.millis() + (rnd.nextInt(4) == 0 ? rnd.nextInt(120_000) : rnd.nextInt(10_000));
        }

        void read(int max) {
            if (conn == null) {
                return;
            }
            CoreHarness.Stream s = h.stream(conn);
            for (int i = 0; i < max && !s.pending.isEmpty(); i++) {
                eventsDelivered++;
                on((AgentEvent) s.pending.poll());
            }
            if (s.ended()) {
                disconnected();
            }
        }

        private void on(AgentEvent e) {
            if (e instanceof AgentEvent.Subscribed sub) {
                check(id == null || id.equals(sub.agentId()), "agent " + id + " was given a new id " + sub.agentId());
                id = sub.agentId();
                subscribed = true;
                nextHeartbeat = h.clock.millis() + 5000;
                for (SimTask t : tasks.values()) {
                    sendHead(t);
                }
            } else if (e instanceof AgentEvent.RunTask run) {
                String key = TaskRecord.key(run.frameworkId(), run.task().taskId());
                if (tasks.containsKey(key)) {
                    return;
                }
                double cpus = run.task().resources().cpus();
                double mem = run.task().resources().mem();
                for (SimTask t : tasks.values()) {
                    if (!t.state.isTerminal() && t.info != null) {
                        cpus += t.info.resources().cpus();
                        mem += t.info.resources().mem();
                    }
                }
                if (!(cpus <= total.cpus() + EPS && mem <= total.mem() + EPS)) {
                    fail("agent " + id + " (" + total
                        + ") told to run " + key + " on top of " + tasks + ": cpus " + cpus + ", mem " + mem);
                }
                SimTask t = new SimTask(run.frameworkId(), run.task(), TaskState.STAGING);
                tasks.put(key, t);
                transition(t, rnd.nextInt(10) == 0 ? TaskState.FAILED : TaskState.RUNNING);
            } else if (e instanceof AgentEvent.KillTask kill) {
                String key = TaskRecord.key(kill.frameworkId(), kill.taskId());
                SimTask t = tasks.get(key);
                if (t == null) {
                    t = new SimTask(kill.frameworkId(), null, TaskState.STAGING);
                    tasks.put(key, t);
                    statusOf(t, kill.taskId(), TaskState.DROPPED);
                } else if (!t.state.isTerminal()) {
                    transition(t, TaskState.KILLED);
                }
            } else if (e instanceof AgentEvent.ShutdownFramework shut) {
                for (SimTask t : tasks.values()) {
                    if (t.frameworkId.equals(shut.frameworkId()) && !t.state.isTerminal()) {
                        transition(t, TaskState.KILLED);
                    }
                }
            } else if (e instanceof AgentEvent.Acknowledged ack) {
                String key = TaskRecord.key(ack.frameworkId(), ack.taskId());
                SimTask t = tasks.get(key);
                if (t != null && !t.stream.isEmpty() && t.stream.peek().uuid().equals(ack.uuid())) {
                    t.stream.poll();
                    if (!t.stream.isEmpty()) {
                        sendHead(t);
                    } else if (t.state.isTerminal()) {
                        tasks.remove(key);
                    }
                }
            }
        }

        void transition(SimTask t, TaskState state) {
            statusOf(t, t.info.taskId(), state);
        }

        private void statusOf(SimTask t, String taskId, TaskState state) {
            t.state = state;
            TaskStatus s = new TaskStatus(taskId, t.frameworkId, id, state, null, null,
                    state == TaskState.FINISHED ? Integer.valueOf(0) : null, hostname + "-u" + (++uuids),
                    TaskStatus.Source.AGENT, h.clock.millis() / 1000.0);
            t.stream.add(s);
            if (t.stream.size() == 1) {
                sendHead(t);
            }
        }

        private void sendHead(SimTask t) {
            t.resendAt = h.clock.millis() + 10_000;
            if (subscribed && !t.stream.isEmpty()) {
                post(new Command.FromAgent(conn, new AgentCall.Update(id, t.stream.peek())));
            }
        }

        void timers(long now) {
            if (!subscribed) {
                return;
            }
            if (now >= nextHeartbeat) {
                nextHeartbeat = now + 5000;
                post(new Command.FromAgent(conn, new AgentCall.Heartbeat(id)));
            }
            for (SimTask t : tasks.values()) {
                if (!t.stream.isEmpty() && now >= t.resendAt) {
                    sendHead(t);
                }
            }
        }
    }

    // ==== simulated framework =======================================================================================

    final class SimFramework {
        final String name;
        final String role;
        final double failover;
        String id;
        String conn;
        boolean subscribed;
        boolean gone;
        boolean tearingDown;
        boolean suppressed;
        long backAt;
        int nextTask;
        final Map<String, Offer> offers = new LinkedHashMap<>();
        /** Tasks the master accepted (ACCEPT answered 202), with the latest state this framework saw. */
        final Map<String, TaskState> accepted = new LinkedHashMap<>();
        /** The uuid of the one terminal status each task got. */
        final Map<String, String> terminalUuid = new HashMap<>();
        final java.util.Set<String> seen = new java.util.HashSet<>();

        SimFramework(String name, String role, double failover) {
            this.name = name;
            this.role = role;
            this.failover = failover;
        }

        boolean connected() {
            return subscribed && conn != null && !gone;
        }

        void subscribe() {
            if (conn != null) {
                h.forget(conn);
            }
            offers.clear();
            conn = h.openConnection(false);
            subscribed = false;
            FrameworkInfo info = new FrameworkInfo(id, name, role, "p-" + name, "nobody", "localhost", failover,
                    List.of());
            Outcome o = handle(new Command.SubscribeFramework(conn, new SchedulerCall.Subscribe(info)));
            if (o.reply().isError()) {
                check(id != null && o.reply().error().startsWith("framework.id"),
                        "framework subscription rejected: " + o.reply().error());
                check(!h.core.frameworks().containsKey(id), "re-subscription refused for a framework the master has");
                h.forget(conn);
                conn = null;
                gone = true;
                return;
            }
            id = (String) o.reply().body();
            frameworkById.put(id, this);
        }

        void send(SchedulerCall call) {
            post(new Command.FromFramework(conn, call));
        }

        void read(int max) {
            if (conn == null) {
                return;
            }
            CoreHarness.Stream s = h.stream(conn);
            for (int i = 0; i < max && !s.pending.isEmpty(); i++) {
                eventsDelivered++;
                on((SchedulerEvent) s.pending.poll());
            }
            if (s.ended()) {
                h.forget(conn);
                conn = null;
                subscribed = false;
                offers.clear();
                if (!gone) { // cut by the network, or replaced: come back later (and go on tearing down if so)
                    backAt = h.clock.millis() + rnd.nextInt(rnd.nextBoolean() ? 10_000 : 90_000);
                }
            }
        }

        private void on(SchedulerEvent e) {
            if (e instanceof SchedulerEvent.Subscribed sub) {
                check(sub.frameworkId().equals(id), "SUBSCRIBED with another id");
                subscribed = true;
                suppressed = false;
            } else if (e instanceof SchedulerEvent.Offers os) {
                for (Offer o : os.offers()) {
                    if (!(o.frameworkId().equals(id))) {
                        fail("offer for another framework");
                    }
                    offers.put(o.id(), o);
                }
            } else if (e instanceof SchedulerEvent.Rescind r) {
                offers.remove(r.offerId());
            } else if (e instanceof SchedulerEvent.Update u) {
                onUpdate(u.status());
            } else if (e instanceof SchedulerEvent.Error err) {
                if (err.message().startsWith("framework removed")) {
                    gone = true;
                }
            }
        }

        private void onUpdate(TaskStatus s) {
            String taskId = s.taskId();
            if (!(accepted.containsKey(taskId) || gone)) {
                fail("framework " + id + " got an update for " + taskId
                    + " which the master never accepted: " + s);
            }
            if (s.uuid() == null) {
                return; // a reconciliation answer: nothing to acknowledge
            }
            if (!seen.add(s.uuid())) {
                // Redelivered (our ack was lost or is still on its way): acknowledge again, nothing new.
            } else if (s.state().isTerminal()) {
                String before = terminalUuid.putIfAbsent(taskId, s.uuid());
                if (!(before == null || before.equals(s.uuid()))) {
                    fail("task " + id + "/" + taskId
                        + " got two different terminal statuses: " + before + " then " + s.state() + " " + s.uuid());
                }
                accepted.put(taskId, s.state());
            } else if (!terminalUuid.containsKey(taskId)) {
                accepted.put(taskId, s.state());
            } else {
                fail("task " + id + "/" + taskId + " got " + s.state() + " after its terminal status");
            }
            send(new SchedulerCall.Acknowledge(id, s.agentId(), taskId, s.uuid()));
        }
    }
}
