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
import dev.tower.api.operator.OperatorCall;
import dev.tower.api.scheduler.Operation;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.api.scheduler.SchedulerEvent;
import dev.tower.manager.allocator.Allocator;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The master's state machine. One thread calls {@link #handle}; it changes state and returns the reply and the
 * effects (messages to send, events to publish, registry writes). No I/O, no locks; time from the injected clock
 * and ids from the injected generator, so a run is a pure function of its commands and can be replayed.
 */
public final class MasterCore {
    private static final Pattern ROLE = Pattern.compile("\\*|[A-Za-z0-9_][A-Za-z0-9_.\\-]{0,127}");
    private static final int REMOVED_REMEMBERED = 10_000;

    private final MasterConfig config;
    private final InstantSource clock;
    private final IdGenerator ids;
    private final Allocator allocator = new Allocator();

    private final Map<String, AgentRecord> agents = new LinkedHashMap<>();
    private final Map<String, FrameworkRecord> frameworks = new LinkedHashMap<>();
    private final Map<String, TaskRecord> tasks = new LinkedHashMap<>();
    private final Map<String, OfferRecord> offers = new LinkedHashMap<>();
    private final Map<String, String> agentByConnection = new HashMap<>();
    private final Map<String, String> frameworkByConnection = new HashMap<>();
    private final LinkedHashMap<String, TaskRecord> completed;
    private final Set<String> removedFrameworks = boundedSet();
    private final Set<String> removedAgents = boundedSet();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final Drivers drivers;
    private final long startedAt;
    /** The leader's epoch, sent on every SUBSCRIBED: 0 for a single master, else its election's sequence number. */
    private final long epoch;
    /** Agents of the registry that have not re-subscribed to this (newly elected) master yet. */
    private int recoveringAgents;

    // Per-command scratch: effects produced so far and agents whose resources were freed. What recovery produces
    // (agent.recovering and framework.recovering events) leaves with the outcome of the first command.
    private List<Effect> out = new ArrayList<>();
    private final Set<String> freed = new LinkedHashSet<>();
    private long now;

    /** A master that starts from nothing: a single master, epoch 0. */
    public MasterCore(MasterConfig config, InstantSource clock, IdGenerator ids) {
        this(config, clock, ids, 0);
    }

    private MasterCore(MasterConfig config, InstantSource clock, IdGenerator ids, long epoch) {
        this.config = config;
        this.clock = clock;
        this.ids = ids;
        this.epoch = epoch;
        this.startedAt = clock.millis();
        this.completed = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, TaskRecord> eldest) {
                return size() > config.completedTasksKept();
            }
        };
        allocator.updateWeights(config.weights());
        this.drivers = new Drivers(config.drivers(), new Drivers.Host() {
            @Override
            public void emit(Effect effect) {
                out.add(effect);
            }

            @Override
            public void relaunchTimer(long at, String driverId) {
                schedule(at, Timer.Kind.DRIVER_RELAUNCH, driverId);
            }

            @Override
            public String nextId(String prefix) {
                return ids.next(prefix);
            }
        });
    }

    /**
     * A newly elected master, taking over from the registry its predecessors wrote. The registry's agents are known
     * but not connected ({@code RECOVERING}): they have {@link MasterConfig#agentReregisterTimeout} to re-subscribe,
     * bringing the tasks they run, after which the missing ones are marked unreachable (and removed, their tasks
     * LOST, {@link MasterConfig#agentUnreachableTimeout} later, as for any unreachable agent). The registry's
     * frameworks are disconnected: each is removed at its saved failover deadline, or, if it was connected when the
     * previous leader went, its failover timeout (at least the re-registration timeout) from now, unless it
     * re-subscribes. Role weights saved by operators override the configured ones.
     *
     * @param epoch the leader's epoch, sent to every agent and framework on SUBSCRIBED
     */
    public static MasterCore recover(MasterConfig config, InstantSource clock, IdGenerator ids,
                                     RegistrySnapshot registry, long epoch) {
        MasterCore core = new MasterCore(config, clock, ids, epoch);
        core.restore(registry);
        return core;
    }

    private void restore(RegistrySnapshot registry) {
        now = clock.millis();
        if (!registry.weights().isEmpty()) {
            allocator.updateWeights(registry.weights());
        }
        // Sorted, so that a recovery is as deterministic as everything else in the core.
        for (AgentInfo info : new java.util.TreeMap<>(registry.agents()).values()) {
            if (info.id() == null || agents.containsKey(info.id())) {
                continue;
            }
            AgentRecord a = new AgentRecord(info, now);
            a.status = AgentRecord.Status.RECOVERING;
            agents.put(a.id(), a);
            allocator.addAgent(a.id(), info.resources());
            allocator.setAgentActive(a.id(), false);
            recoveringAgents++;
        }
        long reregisterDeadline = now + config.agentReregisterTimeout().toMillis();
        if (recoveringAgents > 0) {
            schedule(reregisterDeadline, Timer.Kind.REREGISTER_DEADLINE, "");
        }
        for (AgentRecord a : agents.values()) {
            publish(ClusterEvents.AGENT_RECOVERING, a.id(), "agent " + a.id() + " at " + a.info.address()
                    + " known from the registry; expected to re-subscribe within "
                    + config.agentReregisterTimeout().toMillis() / 1000.0 + " s", new ClusterEvents.AgentRecovering(
                    a.id(), a.info.hostname(), a.info.port(), a.info.resources(), reregisterDeadline));
        }
        long grace = config.agentReregisterTimeout().toMillis();
        for (RegistrySnapshot.SavedFramework saved : new java.util.TreeMap<>(registry.frameworks()).values()) {
            FrameworkInfo info = saved.framework();
            if (info == null || info.id() == null || frameworks.containsKey(info.id())) {
                continue;
            }
            FrameworkRecord f = new FrameworkRecord(info, now);
            frameworks.put(f.id(), f);
            allocator.addFramework(f.id(), info.role());
            allocator.setFrameworkActive(f.id(), false);
            f.failoverDeadline = saved.failoverDeadline() > 0 ? saved.failoverDeadline()
                    : now + Math.max((long) (info.failoverTimeout() * 1000), grace);
            schedule(f.failoverDeadline, Timer.Kind.FAILOVER, f.id());
            publish(ClusterEvents.FRAMEWORK_RECOVERING, f.id(), "framework " + f.id() + " (" + info.name()
                    + ") known from the registry; removed at " + java.time.Instant.ofEpochMilli(f.failoverDeadline)
                    + " unless it re-subscribes", new ClusterEvents.FrameworkRecovering(f.id(), info.name(),
                    info.role(), f.failoverDeadline));
        }
        drivers.restore(registry.drivers().values());
    }

    public MasterConfig config() {
        return config;
    }

    public long epoch() {
        return epoch;
    }

    /** Whether agents of the registry may still re-subscribe after a master failover (their tasks are unknown). */
    boolean recovering() {
        return recoveringAgents > 0;
    }

    public Outcome handle(Command command) {
        now = clock.millis();
        freed.clear();
        Reply reply;
        try {
            reply = dispatch(command);
        } catch (Rejected r) {
            reply = Reply.badRequest(r.getMessage());
        }
        for (String agentId : freed) {
            allocator.allocateAgent(agentId, now).ifPresent(g -> makeOffers(List.of(g)));
        }
        Outcome outcome = new Outcome(reply, out);
        out = new ArrayList<>();
        return outcome;
    }

    private Reply dispatch(Command command) {
        if (command instanceof Command.Tick) {
            return tick();
        } else if (command instanceof Command.FromFramework c) {
            return fromFramework(c.streamId(), c.call());
        } else if (command instanceof Command.FromAgent c) {
            return fromAgent(c.streamId(), c.call());
        } else if (command instanceof Command.SubscribeFramework c) {
            return subscribeFramework(c.connectionId(), c.call().framework());
        } else if (command instanceof Command.SubscribeAgent c) {
            return subscribeAgent(c.connectionId(), c.call());
        } else if (command instanceof Command.FrameworkStreamClosed c) {
            return frameworkStreamClosed(c.connectionId());
        } else if (command instanceof Command.AgentStreamClosed c) {
            return agentStreamClosed(c.connectionId());
        } else if (command instanceof Command.Operator c) {
            return operator(c.call());
        } else if (command instanceof Command.SubmitDriver c) {
            require(c.spec() != null, "submission: missing");
            return Reply.ok(drivers.submit(c.spec(), now));
        } else if (command instanceof Command.KillDriver c) {
            return drivers.kill(c.driverId(), now).<Reply>map(Reply::ok)
                    .orElse(Reply.notFound("submissionId: unknown submission '" + c.driverId() + "'"));
        } else if (command instanceof Command.ClaimDriver c) {
            return drivers.claim(c.driverId(), c.frameworkId(), c.taskId(), c.agentId(), c.hostname(), now)
                    .map(why -> new Reply(409, null, why)).orElse(Reply.ok(c.taskId()));
        } else if (command instanceof Command.UnclaimDriver c) {
            drivers.unclaim(c.driverId(), c.taskId(), c.why(), now);
            return Reply.ACCEPTED;
        } else if (command instanceof Command.DriverTaskStatus c) {
            require(c.status() != null && c.status().taskId() != null, "status: missing");
            drivers.taskStatus(c.status(), now);
            return Reply.ACCEPTED;
        } else if (command instanceof Command.Query q) {
            return Reply.ok(q.read().apply(this));
        }
        throw new IllegalArgumentException("unknown command " + command);
    }

    // ==== time ====================================================================================================

    private Reply tick() {
        while (!timers.isEmpty() && timers.peek().at() <= now) {
            fire(timers.poll());
        }
        makeOffers(allocator.allocate(now));
        return Reply.ACCEPTED;
    }

    private void schedule(long at, Timer.Kind kind, String key) {
        timers.add(new Timer(at, kind, key));
    }

    private void fire(Timer t) {
        switch (t.kind()) {
            case OFFER_TIMEOUT -> {
                OfferRecord o = offers.get(t.key());
                if (o != null && o.expiresAt() == t.at()) {
                    rescind(o, "offer timed out");
                }
            }
            case FAILOVER -> {
                FrameworkRecord f = frameworks.get(t.key());
                if (f != null && !f.connected() && f.failoverDeadline == t.at()) {
                    removeFramework(f, "failover timeout of " + f.info.failoverTimeout() + " s expired");
                }
            }
            case AGENT_PING -> {
                AgentRecord a = agents.get(t.key());
                if (a != null && a.connected()) {
                    long deadline = a.lastSeen + config.agentPingTimeout().toMillis();
                    if (deadline <= now) {
                        out.add(new Effect.CloseStream(a.connectionId));
                        markUnreachable(a, "no heartbeat for " + config.agentPingTimeout().toSeconds() + " s");
                    } else {
                        schedule(deadline, Timer.Kind.AGENT_PING, a.id());
                    }
                }
            }
            case AGENT_LOST -> {
                AgentRecord a = agents.get(t.key());
                if (a != null && a.status == AgentRecord.Status.UNREACHABLE
                        && a.unreachableSince + config.agentUnreachableTimeout().toMillis() == t.at()) {
                    removeAgent(a);
                }
            }
            case REREGISTER_DEADLINE -> {
                for (AgentRecord a : List.copyOf(agents.values())) {
                    if (a.status == AgentRecord.Status.RECOVERING) {
                        markUnreachable(a, "did not re-subscribe within "
                                + config.agentReregisterTimeout().toMillis() / 1000.0 + " s of the master failover");
                    }
                }
            }
            case DRIVER_RELAUNCH -> drivers.relaunchDue(t.key(), now);
            case STATUS_RETRY -> {
                TaskRecord task = tasks.get(t.key());
                if (task != null && task.retryAt == t.at() && !task.unacked.isEmpty()) {
                    FrameworkRecord f = frameworks.get(task.frameworkId);
                    if (f != null && f.connected()) {
                        for (TaskStatus s : task.unacked) {
                            out.add(new Effect.ToFramework(f.connectionId, f.id(), new SchedulerEvent.Update(s)));
                        }
                    }
                    task.retryDelay = Math.min(task.retryDelay * 2, config.statusRetryMax().toMillis());
                    task.retryAt = now + task.retryDelay;
                    schedule(task.retryAt, Timer.Kind.STATUS_RETRY, task.key);
                }
            }
        }
    }

    // ==== agents ==================================================================================================

    private Reply subscribeAgent(String connectionId, AgentCall.Subscribe call) {
        AgentInfo info = call.agent();
        require(info != null, "agent: missing");
        require(info.hostname() != null && !info.hostname().isBlank(), "agent.hostname: missing");
        require(info.port() >= 0 && info.port() <= 65535, "agent.port: must be 0-65535, got " + info.port());
        info.resources().validate("agent.resources").ifPresent(MasterCore::reject);
        require(info.resources().cpus() > 0 || info.resources().mem() > 0,
                "agent.resources: an agent must offer cpus or mem");
        for (int i = 0; i < call.tasks().size(); i++) {
            AgentCall.TaskReport r = call.tasks().get(i);
            require(r.frameworkId() != null, "tasks[" + i + "].frameworkId: missing");
            require(r.task() != null && r.task().taskId() != null, "tasks[" + i + "].task.taskId: missing");
            require(r.state() != null, "tasks[" + i + "].state: missing");
        }

        AgentRecord a = info.id() == null ? null : agents.get(info.id());
        String previousState = a == null ? null : a.status.name();
        if (a != null && a.status == AgentRecord.Status.RECOVERING) {
            recoveringAgents--;
        }
        // A connected agent already has a ping timer running (it re-arms itself); never start a second one.
        boolean pingTimerRunning = a != null && a.connected();
        if (a == null) {
            String id = info.id() != null ? info.id() : ids.next("agent");
            a = new AgentRecord(info.withId(id), now);
            agents.put(id, a);
            allocator.addAgent(id, info.resources());
            persist(new RegistryChange.AgentSaved(a.info));
            publish(ClusterEvents.AGENT_ADDED, id, "agent " + id + " at " + info.address() + " added with "
                    + info.resources(), registered(a, null, call.tasks().size()));
        } else {
            if (a.connectionId != null && !a.connectionId.equals(connectionId)) {
                agentByConnection.remove(a.connectionId);
                out.add(new Effect.CloseStream(a.connectionId));
            }
            for (OfferRecord o : List.copyOf(a.offers.values())) {
                rescind(o, "agent re-registered");
            }
            // Rebuild the agent's books from scratch: its resources may have changed, and its tasks are re-charged below.
            for (String key : a.taskKeys) {
                TaskRecord t = tasks.get(key);
                if (t != null && !t.terminalSent) {
                    allocator.recover(a.id(), t.frameworkId, t.info.resources());
                }
            }
            allocator.removeAgent(a.id());
            a.info = info.withId(a.id());
            allocator.addAgent(a.id(), info.resources());
            a.used = Resources.EMPTY;
            for (String key : a.taskKeys) {
                TaskRecord t = tasks.get(key);
                if (t != null && !t.terminalSent) {
                    allocator.charge(a.id(), t.frameworkId, t.info.resources());
                    a.used = a.used.plus(t.info.resources());
                }
            }
            persist(new RegistryChange.AgentSaved(a.info));
            publish(ClusterEvents.AGENT_REREGISTERED, a.id(), "agent " + a.id() + " at " + info.address()
                    + " re-registered (was " + previousState + ") with " + call.tasks().size() + " tasks",
                    registered(a, previousState, call.tasks().size()));
        }
        a.connectionId = connectionId;
        a.status = AgentRecord.Status.ACTIVE;
        a.lastSeen = now;
        agentByConnection.put(connectionId, a.id());
        allocator.setAgentActive(a.id(), true);
        if (!pingTimerRunning) {
            schedule(now + config.agentPingTimeout().toMillis(), Timer.Kind.AGENT_PING, a.id());
        }
        toAgent(a, new AgentEvent.Subscribed(a.id(), connectionId, config.heartbeatInterval().toMillis() / 1000.0,
                epoch));
        reconcileAgentTasks(a, call.tasks());
        freed.add(a.id());
        return Reply.ok(a.id());
    }

    private static ClusterEvents.AgentRegistered registered(AgentRecord a, String previousState, int reportedTasks) {
        AgentInfo i = a.info;
        return new ClusterEvents.AgentRegistered(a.id(), i.hostname(), i.port(), i.resources(), i.attributes(),
                previousState, reportedTasks);
    }

    /** Squares what the master believes runs on a (re)registered agent with what the agent reports. */
    private void reconcileAgentTasks(AgentRecord a, List<AgentCall.TaskReport> reports) {
        Map<String, AgentCall.TaskReport> reported = new LinkedHashMap<>();
        for (AgentCall.TaskReport r : reports) {
            reported.put(TaskRecord.key(r.frameworkId(), r.task().taskId()), r);
        }
        for (String key : List.copyOf(a.taskKeys)) {
            TaskRecord t = tasks.get(key);
            if (t == null || t.terminalSent) {
                continue;
            }
            AgentCall.TaskReport r = reported.get(key);
            if (r == null) {
                TaskState lost = t.state == TaskState.STAGING ? TaskState.DROPPED : TaskState.LOST;
                masterStatus(t, lost, "task unknown to its agent after re-registration");
            } else {
                if (t.state == TaskState.UNREACHABLE && !r.state().isTerminal()) {
                    masterStatus(t, r.state(), "agent re-registered");
                }
                if (t.killRequested) {
                    toAgent(a, new AgentEvent.KillTask(t.frameworkId, t.info.taskId(), t.killGracePeriod));
                }
            }
        }
        for (Map.Entry<String, AgentCall.TaskReport> e : reported.entrySet()) {
            AgentCall.TaskReport r = e.getValue();
            TaskRecord known = tasks.get(e.getKey());
            if (known != null) {
                if (known.terminalSent && !r.state().isTerminal()) {
                    // Given up already (LOST when the agent was removed): it must not go on running uncharged.
                    toAgent(a, new AgentEvent.KillTask(r.frameworkId(), r.task().taskId(), null));
                }
                continue;
            }
            FrameworkRecord f = frameworks.get(r.frameworkId());
            if (f == null || completed.containsKey(e.getKey())) {
                if (!r.state().isTerminal()) {
                    toAgent(a, new AgentEvent.KillTask(r.frameworkId(), r.task().taskId(), null));
                }
                continue;
            }
            // A task this master never launched, of a framework it knows: adopt it (after a master failover).
            TaskRecord t = new TaskRecord(r.frameworkId(), r.task().withAgentId(a.id()), a.id());
            t.state = r.state();
            tasks.put(t.key, t);
            a.taskKeys.add(t.key);
            f.taskKeys.add(t.key);
            if (!r.state().isTerminal()) {
                allocator.charge(a.id(), f.id(), t.info.resources());
                a.used = a.used.plus(t.info.resources());
                f.used = f.used.plus(t.info.resources());
            }
        }
    }

    private Reply agentStreamClosed(String connectionId) {
        String agentId = agentByConnection.remove(connectionId);
        AgentRecord a = agentId == null ? null : agents.get(agentId);
        if (a != null && connectionId.equals(a.connectionId)) {
            markUnreachable(a, "agent stream closed");
        }
        return Reply.ACCEPTED;
    }

    private void markUnreachable(AgentRecord a, String why) {
        if (a.status == AgentRecord.Status.RECOVERING) {
            recoveringAgents--;
        }
        agentByConnection.remove(a.connectionId);
        a.connectionId = null;
        a.status = AgentRecord.Status.UNREACHABLE;
        a.unreachableSince = now;
        for (OfferRecord o : List.copyOf(a.offers.values())) {
            rescind(o, "agent unreachable");
        }
        allocator.setAgentActive(a.id(), false);
        int unreachable = 0;
        for (String key : a.taskKeys) {
            TaskRecord t = tasks.get(key);
            if (t != null && !t.terminalSent && t.state != TaskState.UNREACHABLE) {
                masterStatus(t, TaskState.UNREACHABLE, "agent unreachable: " + why);
                unreachable++;
            }
        }
        long removeAt = now + config.agentUnreachableTimeout().toMillis();
        schedule(removeAt, Timer.Kind.AGENT_LOST, a.id());
        publish(ClusterEvents.AGENT_UNREACHABLE, a.id(), "agent " + a.id() + " unreachable: " + why,
                new ClusterEvents.AgentUnreachable(a.id(), why, unreachable, removeAt));
    }

    private void removeAgent(AgentRecord a) {
        String why = "unreachable for " + config.agentUnreachableTimeout().toSeconds() + " s";
        int lost = 0;
        for (String key : List.copyOf(a.taskKeys)) {
            TaskRecord t = tasks.get(key);
            if (t != null && !t.terminalSent) {
                masterStatus(t, TaskState.LOST, "agent " + a.id() + " removed after being " + why);
                lost++;
            }
        }
        allocator.removeAgent(a.id());
        agents.remove(a.id());
        removedAgents.add(a.id());
        for (FrameworkRecord f : frameworks.values()) {
            if (f.connected()) {
                out.add(new Effect.ToFramework(f.connectionId, f.id(), new SchedulerEvent.Failure(a.id())));
            }
        }
        persist(new RegistryChange.AgentRemoved(a.id()));
        publish(ClusterEvents.AGENT_REMOVED, a.id(), "agent " + a.id() + " removed (" + why + "); " + lost
                + " tasks LOST", new ClusterEvents.AgentRemoved(a.id(), why, lost));
    }

    private Reply fromAgent(String streamId, AgentCall call) {
        String agentId = streamId == null ? null : agentByConnection.get(streamId);
        require(agentId != null, "Tower-Stream-Id: not an open agent stream");
        AgentRecord a = agents.get(agentId);
        require(call.agentId() != null, "agentId: missing");
        require(agentId.equals(call.agentId()),
                "agentId: the stream belongs to agent " + agentId + ", not " + call.agentId());
        a.lastSeen = now;
        if (call instanceof AgentCall.Update u) {
            agentUpdate(a, u.status());
        } else if (call instanceof AgentCall.Subscribe) {
            reject("type: SUBSCRIBE opens a stream; it cannot be sent on one");
        }
        return Reply.ACCEPTED;
    }

    private void agentUpdate(AgentRecord a, TaskStatus s) {
        require(s != null, "status: missing");
        require(s.taskId() != null, "status.taskId: missing");
        require(s.frameworkId() != null, "status.frameworkId: missing");
        require(s.state() != null, "status.state: missing");
        require(s.uuid() != null, "status.uuid: missing");
        String key = TaskRecord.key(s.frameworkId(), s.taskId());
        TaskRecord t = tasks.get(key);
        if (t == null || !t.agentId.equals(a.id())) {
            // Nobody is waiting for it: settle it so the agent stops re-sending, and stop a task nobody owns.
            toAgent(a, new AgentEvent.Acknowledged(s.frameworkId(), s.taskId(), s.uuid()));
            if (!s.state().isTerminal()) {
                toAgent(a, new AgentEvent.KillTask(s.frameworkId(), s.taskId(), null));
            }
            return;
        }
        if (t.acked.contains(s.uuid()) || (t.terminalSent && !t.isUnacked(s.uuid()))) {
            toAgent(a, new AgentEvent.Acknowledged(s.frameworkId(), s.taskId(), s.uuid()));
            return;
        }
        TaskStatus status = new TaskStatus(s.taskId(), s.frameworkId(), a.id(), s.state(), s.reason(), s.message(),
                s.exitCode(), s.uuid(), TaskStatus.Source.AGENT, s.timestamp() > 0 ? s.timestamp() : now / 1000.0);
        if (t.isUnacked(s.uuid())) {
            forward(t, status); // the agent's retry: the framework may have missed it
            return;
        }
        apply(t, status);
    }

    // ==== task status =============================================================================================

    /** A status the master itself decides (agent lost, task dropped), delivered like an agent's, until acknowledged. */
    private void masterStatus(TaskRecord t, TaskState state, String reason) {
        apply(t, new TaskStatus(t.info.taskId(), t.frameworkId, t.agentId, state, reason, null, null,
                ids.next("status"), TaskStatus.Source.MASTER, now / 1000.0));
    }

    private void apply(TaskRecord t, TaskStatus status) {
        TaskState previous = t.state;
        t.state = status.state();
        t.record(status);
        if (status.state().isTerminal()) {
            t.terminalSent = true;
            release(t);
        }
        t.unacked.add(status);
        forward(t, status);
        if (t.retryAt == 0 || t.retryAt < now) {
            t.retryDelay = config.statusRetryInitial().toMillis();
            t.retryAt = now + t.retryDelay;
            schedule(t.retryAt, Timer.Kind.STATUS_RETRY, t.key);
        }
        publishStatus(t, previous, status);
    }

    private void publishStatus(TaskRecord t, TaskState previous, TaskStatus s) {
        publish(ClusterEvents.TASK_STATUS, t.key, "task " + t.key + " " + s.state()
                + (s.reason() != null ? " (" + s.reason() + ")" : "")
                + (s.exitCode() != null ? " exit " + s.exitCode() : ""), new ClusterEvents.TaskStatusChanged(
                t.frameworkId, t.info.taskId(), t.agentId, s.state(), previous, s.reason(), s.message(), s.exitCode(),
                s.source(), s.uuid(), Math.round(s.timestamp() * 1000)));
    }

    private void forward(TaskRecord t, TaskStatus status) {
        FrameworkRecord f = frameworks.get(t.frameworkId);
        if (f != null && f.connected()) {
            out.add(new Effect.ToFramework(f.connectionId, f.id(), new SchedulerEvent.Update(status)));
        }
    }

    /** A task's resources go back to its agent and stop counting for its framework. */
    private void release(TaskRecord t) {
        Resources r = t.info.resources();
        allocator.recover(t.agentId, t.frameworkId, r);
        AgentRecord a = agents.get(t.agentId);
        if (a != null) {
            a.used = a.used.minus(r);
            freed.add(a.id());
        }
        FrameworkRecord f = frameworks.get(t.frameworkId);
        if (f != null) {
            f.used = f.used.minus(r);
        }
    }

    private void acknowledge(FrameworkRecord f, SchedulerCall.Acknowledge ack) {
        require(ack.taskId() != null, "taskId: missing");
        require(ack.uuid() != null, "uuid: missing");
        TaskRecord t = tasks.get(TaskRecord.key(f.id(), ack.taskId()));
        if (t == null) {
            return; // late or duplicate: the task is settled already
        }
        TaskStatus s = t.removeUnacked(ack.uuid());
        if (s == null) {
            return;
        }
        t.acked.add(ack.uuid());
        if (s.source() == TaskStatus.Source.AGENT) {
            AgentRecord a = agents.get(t.agentId);
            if (a != null && a.connected()) {
                toAgent(a, new AgentEvent.Acknowledged(f.id(), t.info.taskId(), ack.uuid()));
            }
        }
        if (t.unacked.isEmpty()) {
            t.retryAt = 0;
            if (t.terminalSent) {
                complete(t);
            }
        }
    }

    private void complete(TaskRecord t) {
        tasks.remove(t.key);
        AgentRecord a = agents.get(t.agentId);
        if (a != null) {
            a.taskKeys.remove(t.key);
        }
        FrameworkRecord f = frameworks.get(t.frameworkId);
        if (f != null) {
            f.taskKeys.remove(t.key);
        }
        completed.put(t.key, t);
    }

    // ==== frameworks ==============================================================================================

    private Reply subscribeFramework(String connectionId, FrameworkInfo info) {
        require(info != null, "framework: missing");
        require(info.name() != null && !info.name().isBlank(), "framework.name: missing");
        require(ROLE.matcher(info.role()).matches(), "framework.role: '" + info.role()
                + "' is not a valid role name (letters, digits, _ . -, or *)");
        double fo = info.failoverTimeout();
        require(Double.isFinite(fo) && fo >= 0, "framework.failoverTimeoutSeconds: must be a finite number >= 0");
        String id = info.id();
        require(id == null || !removedFrameworks.contains(id), "framework.id: framework " + id
                + " was removed (torn down or its failover timeout expired); subscribe without an id");
        FrameworkRecord f = id == null ? null : frameworks.get(id);
        if (f == null) {
            id = id != null ? id : ids.next("fw");
            f = new FrameworkRecord(info.withId(id), now);
            frameworks.put(id, f);
            allocator.addFramework(id, f.info.role());
            publish(ClusterEvents.FRAMEWORK_SUBSCRIBED, id, "framework " + id + " (" + info.name()
                    + ") subscribed in role " + f.info.role(), subscribed(f.info, null));
        } else {
            require(f.info.role().equals(info.role()), "framework.role: cannot change from '" + f.info.role()
                    + "' to '" + info.role() + "' when re-subscribing");
            boolean failedOver = f.connectionId != null && !f.connectionId.equals(connectionId);
            if (failedOver) {
                out.add(new Effect.ToFramework(f.connectionId, f.id(),
                        new SchedulerEvent.Error("framework failed over to a newer subscription")));
                out.add(new Effect.CloseStream(f.connectionId));
                frameworkByConnection.remove(f.connectionId);
                for (OfferRecord o : List.copyOf(f.offers.values())) {
                    rescind(o, "framework failed over");
                }
            }
            f.info = info;
            allocator.setFrameworkActive(id, true);
            publish(ClusterEvents.FRAMEWORK_RESUBSCRIBED, id, "framework " + id + " (" + info.name() + ") "
                    + (failedOver ? "failed over to a new subscription" : "re-subscribed"), subscribed(f.info, failedOver));
        }
        persist(new RegistryChange.FrameworkSaved(f.info));
        f.connectionId = connectionId;
        f.failoverDeadline = 0;
        frameworkByConnection.put(connectionId, id);
        out.add(new Effect.ToFramework(connectionId, id,
                new SchedulerEvent.Subscribed(id, connectionId, config.heartbeatInterval().toMillis() / 1000.0,
                        epoch)));
        for (String key : f.taskKeys) {
            TaskRecord t = tasks.get(key);
            if (t != null) {
                for (TaskStatus s : t.unacked) {
                    out.add(new Effect.ToFramework(connectionId, id, new SchedulerEvent.Update(s)));
                }
            }
        }
        return Reply.ok(id);
    }

    private static ClusterEvents.FrameworkSubscribed subscribed(FrameworkInfo i, Boolean failedOver) {
        return new ClusterEvents.FrameworkSubscribed(i.id(), i.name(), i.role(), i.principal(), i.user(),
                i.hostname(), i.failoverTimeout(), i.capabilities(), failedOver);
    }

    private Reply frameworkStreamClosed(String connectionId) {
        String id = frameworkByConnection.remove(connectionId);
        FrameworkRecord f = id == null ? null : frameworks.get(id);
        if (f == null || !connectionId.equals(f.connectionId)) {
            return Reply.ACCEPTED;
        }
        f.connectionId = null;
        for (OfferRecord o : List.copyOf(f.offers.values())) {
            rescind(o, "framework disconnected");
        }
        allocator.setFrameworkActive(f.id(), false);
        double timeout = f.info.failoverTimeout();
        if (timeout <= 0) {
            removeFramework(f, "disconnected with no failover timeout");
        } else {
            f.failoverDeadline = now + (long) (timeout * 1000);
            schedule(f.failoverDeadline, Timer.Kind.FAILOVER, f.id());
            persist(new RegistryChange.FrameworkSaved(f.info, f.failoverDeadline));
            publish(ClusterEvents.FRAMEWORK_DISCONNECTED, f.id(), "framework " + f.id() + " disconnected; failover until "
                    + java.time.Instant.ofEpochMilli(f.failoverDeadline),
                    new ClusterEvents.FrameworkDisconnected(f.id(), timeout, f.failoverDeadline));
        }
        return Reply.ACCEPTED;
    }

    private void removeFramework(FrameworkRecord f, String why) {
        for (OfferRecord o : List.copyOf(f.offers.values())) {
            rescind(o, "framework removed");
        }
        Set<String> agentsToShutdown = new LinkedHashSet<>();
        int killed = 0;
        for (String key : List.copyOf(f.taskKeys)) {
            TaskRecord t = tasks.remove(key);
            if (t == null) {
                continue;
            }
            if (!t.terminalSent) {
                release(t);
                agentsToShutdown.add(t.agentId);
                TaskState previous = t.state;
                t.state = TaskState.KILLED;
                t.terminalSent = true;
                killed++;
                // No update goes to anyone (the framework is gone), but the task's state changed: say so.
                publishStatus(t, previous, new TaskStatus(t.info.taskId(), f.id(), t.agentId, TaskState.KILLED,
                        "framework removed: " + why, null, null, null, TaskStatus.Source.MASTER, now / 1000.0));
            }
            AgentRecord a = agents.get(t.agentId);
            if (a != null) {
                a.taskKeys.remove(key);
            }
            completed.put(key, t);
        }
        for (String agentId : agentsToShutdown) {
            AgentRecord a = agents.get(agentId);
            if (a != null && a.connected()) {
                toAgent(a, new AgentEvent.ShutdownFramework(f.id()));
            }
        }
        if (f.connected()) {
            out.add(new Effect.ToFramework(f.connectionId, f.id(), new SchedulerEvent.Error("framework removed: " + why)));
            out.add(new Effect.CloseStream(f.connectionId));
            frameworkByConnection.remove(f.connectionId);
        }
        allocator.removeFramework(f.id());
        frameworks.remove(f.id());
        removedFrameworks.add(f.id());
        persist(new RegistryChange.FrameworkRemoved(f.id()));
        publish(ClusterEvents.FRAMEWORK_REMOVED, f.id(), "framework " + f.id() + " removed: " + why
                + (killed > 0 ? "; " + killed + " tasks KILLED" : ""), new ClusterEvents.FrameworkRemoved(f.id(), why, killed));
    }

    private Reply fromFramework(String streamId, SchedulerCall call) {
        String id = streamId == null ? null : frameworkByConnection.get(streamId);
        require(id != null, "Tower-Stream-Id: not an open framework stream (subscribe first)");
        require(call.frameworkId() != null, "frameworkId: missing");
        require(id.equals(call.frameworkId()),
                "frameworkId: the stream belongs to framework " + id + ", not " + call.frameworkId());
        FrameworkRecord f = frameworks.get(id);
        if (call instanceof SchedulerCall.Accept c) {
            accept(f, c);
        } else if (call instanceof SchedulerCall.Decline c) {
            decline(f, c);
        } else if (call instanceof SchedulerCall.Acknowledge c) {
            acknowledge(f, c);
        } else if (call instanceof SchedulerCall.Kill c) {
            kill(f, c, "framework");
        } else if (call instanceof SchedulerCall.Reconcile c) {
            reconcile(f, c);
        } else if (call instanceof SchedulerCall.Revive) {
            allocator.revive(f.id());
            publish(ClusterEvents.FRAMEWORK_REVIVED, f.id(), "framework " + f.id()
                    + " revived offers (its filters are cleared)", new ClusterEvents.FrameworkOffers(f.id(), f.info.role()));
        } else if (call instanceof SchedulerCall.Suppress) {
            allocator.suppress(f.id());
            publish(ClusterEvents.FRAMEWORK_SUPPRESSED, f.id(), "framework " + f.id() + " suppressed offers",
                    new ClusterEvents.FrameworkOffers(f.id(), f.info.role()));
        } else if (call instanceof SchedulerCall.Teardown) {
            removeFramework(f, "torn down by the framework");
        } else {
            reject("type: SUBSCRIBE opens a stream; it cannot be sent on one");
        }
        return Reply.ACCEPTED;
    }

    private void accept(FrameworkRecord f, SchedulerCall.Accept call) {
        require(!call.offerIds().isEmpty(), "offerIds: at least one offer is needed");
        double refuse = refuseSeconds(call.filters());
        List<OfferRecord> used = new ArrayList<>();
        String agentId = null;
        Resources available = Resources.EMPTY;
        for (String offerId : call.offerIds()) {
            OfferRecord o = offers.get(offerId);
            require(o != null && o.frameworkId().equals(f.id()), "offerIds: unknown offer '" + offerId
                    + "' (already used, declined or rescinded, or not this framework's)");
            require(agentId == null || agentId.equals(o.agentId()), "offerIds: offers of one ACCEPT must be of one agent");
            require(!used.contains(o), "offerIds: offer '" + offerId + "' given twice");
            agentId = o.agentId();
            used.add(o);
            available = available.plus(o.resources());
        }
        List<TaskInfo> launches = new ArrayList<>();
        Resources remaining = available;
        Set<String> newIds = new HashSet<>();
        for (int op = 0; op < call.operations().size(); op++) {
            Operation operation = call.operations().get(op);
            require(operation != null, "operations[" + op + "]: missing");
            if (operation instanceof Operation.Launch launch) {
                for (int i = 0; i < launch.tasks().size(); i++) {
                    String field = "operations[" + op + "].tasks[" + i + "]";
                    TaskInfo task = launch.tasks().get(i);
                    require(task != null, field + ": missing");
                    require(task.taskId() != null && !task.taskId().isBlank(), field + ".taskId: missing");
                    String key = TaskRecord.key(f.id(), task.taskId());
                    require(!tasks.containsKey(key) && newIds.add(task.taskId()),
                            field + ".taskId: task '" + task.taskId() + "' already exists in this framework");
                    require(task.agentId() == null || task.agentId().equals(agentId), field
                            + ".agentId: '" + task.agentId() + "' is not the offer's agent " + agentId);
                    require(task.hasCommand() || task.container() != null, field + ".command.value: missing");
                    if (task.container() != null) {
                        task.container().validate(field + ".container", task.resources()).ifPresent(MasterCore::reject);
                    }
                    Double grace = task.killGracePeriodSeconds();
                    require(grace == null || (Double.isFinite(grace) && grace >= 0),
                            field + ".killGracePeriodSeconds: must be a finite number >= 0");
                    task.resources().validate(field + ".resources").ifPresent(MasterCore::reject);
                    require(task.resources().cpus() > 0 || task.resources().mem() > 0,
                            field + ".resources: a task needs cpus or mem");
                    String finalAgent = agentId;
                    remaining.shortfall(task.resources()).ifPresent(s -> reject(field
                            + ".resources: task larger than what is left of the offer on agent " + finalAgent + ": " + s));
                    remaining = remaining.minus(task.resources());
                    launches.add(task.withAgentId(agentId));
                }
            }
        }
        // Valid: from here on nothing is rejected.
        AgentRecord a = agents.get(agentId);
        List<String> taskIds = launches.stream().map(TaskInfo::taskId).toList();
        for (OfferRecord o : used) {
            removeOffer(o);
            publish(ClusterEvents.OFFER_ACCEPTED, o.id(), "offer " + o.id() + " accepted by " + f.id() + ": "
                    + (taskIds.isEmpty() ? "nothing launched" : "tasks " + taskIds), new ClusterEvents.OfferAccepted(
                    o.id(), f.id(), o.agentId(), o.resources(), taskIds, refuse));
        }
        for (TaskInfo task : launches) {
            TaskRecord t = new TaskRecord(f.id(), task, a.id());
            tasks.put(t.key, t);
            a.taskKeys.add(t.key);
            f.taskKeys.add(t.key);
            a.used = a.used.plus(task.resources());
            f.used = f.used.plus(task.resources());
            toAgent(a, new AgentEvent.RunTask(f.id(), f.info, task));
            publish(ClusterEvents.TASK_LAUNCHED, t.key, "task " + t.key + " launched on agent " + a.id() + " with "
                    + task.resources(), new ClusterEvents.TaskLaunched(f.id(), task.taskId(), a.id(), task.name(),
                    task.resources(), commandShown(task), task.labels()));
        }
        if (!remaining.isEmpty()) {
            allocator.recover(a.id(), f.id(), remaining);
            if (refuse > 0) {
                allocator.filter(f.id(), a.id(), now + (long) (refuse * 1000));
            }
            freed.add(a.id());
        }
    }

    private void decline(FrameworkRecord f, SchedulerCall.Decline call) {
        double refuse = refuseSeconds(call.filters());
        for (String offerId : call.offerIds()) {
            OfferRecord o = offers.get(offerId);
            if (o == null || !o.frameworkId().equals(f.id())) {
                continue; // rescinded meanwhile: nothing to give back
            }
            removeOffer(o);
            allocator.recover(o.agentId(), f.id(), o.resources());
            if (refuse > 0) {
                allocator.filter(f.id(), o.agentId(), now + (long) (refuse * 1000));
            }
            freed.add(o.agentId());
            publish(ClusterEvents.OFFER_DECLINED, o.id(), "offer " + o.id() + " declined by " + f.id()
                    + " (refuse " + refuse + " s)", new ClusterEvents.OfferDeclined(o.id(), f.id(), o.agentId(),
                    o.resources(), refuse, refuse > 0 ? now + (long) (refuse * 1000) : null));
        }
    }

    private static double refuseSeconds(Filters filters) {
        double refuse = filters == null ? Filters.DEFAULT_REFUSE_SECONDS : filters.refuse();
        require(Double.isFinite(refuse) && refuse >= 0, "filters.refuseSeconds: must be a finite number >= 0");
        return refuse;
    }

    private void kill(FrameworkRecord f, SchedulerCall.Kill call, String by) {
        require(call.taskId() != null, "taskId: missing");
        String key = TaskRecord.key(f.id(), call.taskId());
        TaskRecord t = tasks.get(key);
        if (t == null) {
            require(completed.containsKey(key), "taskId: unknown task '" + call.taskId() + "'" + (recovering()
                    ? " (after a master failover, agents are still re-subscribing with their tasks: retry)" : ""));
            return; // already over
        }
        if (t.terminalSent) {
            return;
        }
        t.killRequested = true;
        AgentRecord a = agents.get(t.agentId);
        if (a != null && a.connected()) {
            toAgent(a, new AgentEvent.KillTask(f.id(), t.info.taskId(), null));
        }
        publish(ClusterEvents.TASK_KILL_REQUESTED, key, "kill of task " + key + " (" + t.state + ") requested by the "
                + by, new ClusterEvents.TaskKillRequested(f.id(), t.info.taskId(), t.agentId, t.state, by));
    }

    private void reconcile(FrameworkRecord f, SchedulerCall.Reconcile call) {
        if (call.tasks().isEmpty()) {
            for (String key : f.taskKeys) {
                TaskRecord t = tasks.get(key);
                if (t != null) {
                    reconcileAnswer(f, t.info.taskId(), t);
                }
            }
            return;
        }
        for (int i = 0; i < call.tasks().size(); i++) {
            var ref = call.tasks().get(i);
            require(ref != null && ref.taskId() != null, "tasks[" + i + "].taskId: missing");
            String key = TaskRecord.key(f.id(), ref.taskId());
            TaskRecord t = tasks.containsKey(key) ? tasks.get(key) : completed.get(key);
            if (t != null) {
                reconcileAnswer(f, ref.taskId(), t);
            } else {
                reconcileUnknown(f, ref.taskId(), ref.agentId());
            }
        }
    }

    private void reconcileAnswer(FrameworkRecord f, String taskId, TaskRecord t) {
        TaskStatus latest = t.history.isEmpty() ? null : t.history.get(t.history.size() - 1);
        reconcileReply(f, taskId, t.agentId, t.state, latest == null ? null : latest.reason(),
                latest == null ? null : latest.exitCode());
    }

    /**
     * A task this master does not know. After a master failover it may still be on an agent that has not
     * re-subscribed yet: no answer then (the framework asks again later, as it does for any unanswered
     * reconciliation), UNREACHABLE once that agent is marked unreachable, LOST once it is removed. Otherwise the task
     * is UNKNOWN.
     */
    private void reconcileUnknown(FrameworkRecord f, String taskId, String agentId) {
        AgentRecord a = agentId == null ? null : agents.get(agentId);
        if (a != null) {
            switch (a.status) {
                case RECOVERING -> {
                    return;
                }
                case UNREACHABLE -> {
                    reconcileReply(f, taskId, agentId, TaskState.UNREACHABLE, "agent unreachable", null);
                    return;
                }
                case ACTIVE -> {
                }
            }
        } else if (agentId != null && removedAgents.contains(agentId)) {
            reconcileReply(f, taskId, agentId, TaskState.LOST, "agent " + agentId + " was removed", null);
            return;
        } else if (agentId == null && recovering()) {
            return;
        }
        reconcileReply(f, taskId, agentId, TaskState.UNKNOWN, null, null);
    }

    private void reconcileReply(FrameworkRecord f, String taskId, String agentId, TaskState state, String reason,
                                Integer exitCode) {
        TaskStatus answer = new TaskStatus(taskId, f.id(), agentId, state, "reconciliation", reason, exitCode, null,
                TaskStatus.Source.MASTER, now / 1000.0);
        out.add(new Effect.ToFramework(f.connectionId, f.id(), new SchedulerEvent.Update(answer)));
    }

    // ==== offers ==================================================================================================

    private void makeOffers(List<Allocator.Grant> grants) {
        Map<String, List<Offer>> byFramework = new LinkedHashMap<>();
        for (Allocator.Grant g : grants) {
            FrameworkRecord f = frameworks.get(g.frameworkId());
            AgentRecord a = agents.get(g.agentId());
            OfferRecord o = new OfferRecord(ids.next("offer"), f.id(), a.id(), g.resources(),
                    now + config.offerTimeout().toMillis());
            offers.put(o.id(), o);
            f.offers.put(o.id(), o);
            a.offers.put(o.id(), o);
            f.offered = f.offered.plus(o.resources());
            a.offered = a.offered.plus(o.resources());
            schedule(o.expiresAt(), Timer.Kind.OFFER_TIMEOUT, o.id());
            byFramework.computeIfAbsent(f.id(), k -> new ArrayList<>()).add(
                    new Offer(o.id(), f.id(), a.id(), a.info.hostname(), o.resources(), a.info.attributes()));
            publish(ClusterEvents.OFFER_MADE, o.id(), "offer " + o.id() + " of agent " + a.id() + " to " + f.id() + ": "
                    + o.resources(), new ClusterEvents.OfferMade(o.id(), f.id(), a.id(), a.info.hostname(),
                    o.resources(), o.expiresAt()));
        }
        byFramework.forEach((fid, list) -> {
            FrameworkRecord f = frameworks.get(fid);
            out.add(new Effect.ToFramework(f.connectionId, fid, new SchedulerEvent.Offers(list)));
        });
    }

    private void removeOffer(OfferRecord o) {
        offers.remove(o.id());
        FrameworkRecord f = frameworks.get(o.frameworkId());
        if (f != null) {
            f.offers.remove(o.id());
            f.offered = f.offered.minus(o.resources());
        }
        AgentRecord a = agents.get(o.agentId());
        if (a != null) {
            a.offers.remove(o.id());
            a.offered = a.offered.minus(o.resources());
        }
    }

    private void rescind(OfferRecord o, String why) {
        removeOffer(o);
        allocator.recover(o.agentId(), o.frameworkId(), o.resources());
        freed.add(o.agentId());
        FrameworkRecord f = frameworks.get(o.frameworkId());
        if (f != null && f.connected()) {
            out.add(new Effect.ToFramework(f.connectionId, f.id(), new SchedulerEvent.Rescind(o.id())));
        }
        publish(ClusterEvents.OFFER_RESCINDED, o.id(), "offer " + o.id() + " rescinded: " + why,
                new ClusterEvents.OfferRescinded(o.id(), o.frameworkId(), o.agentId(), o.resources(), why));
    }

    // ==== operator ================================================================================================

    private Reply operator(dev.tower.api.operator.OperatorCall call) {
        if (call instanceof OperatorCall.UpdateWeights w) {
            require(w.weights() != null && !w.weights().isEmpty(), "weights: missing");
            for (Map.Entry<String, Double> e : w.weights().entrySet()) {
                require(ROLE.matcher(e.getKey()).matches(), "weights: '" + e.getKey() + "' is not a valid role name");
                Double v = e.getValue();
                require(v != null && Double.isFinite(v) && v > 0, "weights." + e.getKey() + ": must be a number > 0");
            }
            allocator.updateWeights(w.weights());
            persist(new RegistryChange.WeightsSaved(allocator.weights()));
            publish(ClusterEvents.WEIGHTS_UPDATED, "weights", "role weights updated: " + w.weights(),
                    new ClusterEvents.WeightsUpdated(w.weights(), allocator.weights()));
        } else if (call instanceof OperatorCall.Teardown t) {
            require(t.frameworkId() != null, "frameworkId: missing");
            FrameworkRecord f = frameworks.get(t.frameworkId());
            require(f != null, "frameworkId: unknown framework '" + t.frameworkId() + "'");
            removeFramework(f, "torn down by an operator");
        } else if (call instanceof OperatorCall.KillTask k) {
            require(k.frameworkId() != null, "frameworkId: missing");
            FrameworkRecord f = frameworks.get(k.frameworkId());
            require(f != null, "frameworkId: unknown framework '" + k.frameworkId() + "'");
            kill(f, new SchedulerCall.Kill(f.id(), k.taskId(), null), "operator");
        }
        return Reply.ACCEPTED;
    }

    // ==== helpers =================================================================================================

    private void toAgent(AgentRecord a, AgentEvent event) {
        if (a.connectionId != null) {
            out.add(new Effect.ToAgent(a.connectionId, a.id(), event));
        }
    }

    private void publish(String type, String subject, String summary, Object data) {
        out.add(new Effect.Publish(new ClusterEvent(type, subject, summary, data, now)));
    }

    /** What {@code task.launched} shows of a task's command: never its environment. */
    private static String commandShown(TaskInfo task) {
        var c = task.command();
        String image = task.container() == null ? "" : "[" + task.container().image() + "] ";
        String shown = image + (!task.hasCommand() ? "(the image's command)"
                : Boolean.FALSE.equals(c.shell()) && !c.arguments().isEmpty() ? String.join(" ", c.arguments())
                : c.value());
        return shown.length() <= ClusterEvents.COMMAND_SHOWN ? shown
                : shown.substring(0, ClusterEvents.COMMAND_SHOWN - 3) + "...";
    }

    private void persist(RegistryChange change) {
        out.add(new Effect.Persist(change));
    }

    private static void require(boolean condition, String error) {
        if (!condition) {
            throw new Rejected(error);
        }
    }

    private static void reject(String error) {
        throw new Rejected(error);
    }

    private static Set<String> boundedSet() {
        return java.util.Collections.newSetFromMap(new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > REMOVED_REMEMBERED;
            }
        });
    }

    /** Bad input from a caller; becomes a 400 and changes nothing (every check runs before any change). */
    private static final class Rejected extends RuntimeException {
        Rejected(String message) {
            super(message, null, false, false);
        }
    }

    // ==== reads (run on the core thread through Command.Query) ====================================================

    public StateReader reader() {
        return new StateReader(this);
    }

    long nowMillis() {
        return clock.millis();
    }

    long startedAt() {
        return startedAt;
    }

    Allocator allocator() {
        return allocator;
    }

    Map<String, AgentRecord> agents() {
        return agents;
    }

    Map<String, FrameworkRecord> frameworks() {
        return frameworks;
    }

    Map<String, TaskRecord> tasks() {
        return tasks;
    }

    Map<String, TaskRecord> completed() {
        return completed;
    }

    Map<String, OfferRecord> offers() {
        return offers;
    }

    Drivers drivers() {
        return drivers;
    }
}
