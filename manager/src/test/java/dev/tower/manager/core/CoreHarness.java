package dev.tower.manager.core;

import dev.tower.api.agent.AgentCall;
import dev.tower.api.agent.AgentEvent;
import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.Filters;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Offer;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.operator.WhyNotView;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.api.scheduler.SchedulerEvent;

import dev.tower.manager.registry.InMemoryRegistry;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Plays the transport around a {@link MasterCore}: opens connections (whose ids double as Tower-Stream-Ids), hands
 * commands to the core and routes the effects into per-connection streams, in order. Peers ({@link AgentPeer},
 * {@link FrameworkPeer} here, the simulated ones in the simulation) read their stream.
 */
final class CoreHarness {
    final ManualClock clock;
    final MasterCore core;
    private final Map<String, Stream> streams = new HashMap<>();
    /** Streams the master ended (CloseStream) since the last {@link #drainClosedByMaster}. */
    private final List<Stream> closedByMaster = new ArrayList<>();
    private int connections;
    private final List<AgentPeer> agents = new ArrayList<>();
    long commands;
    /** Where the Persist effects go, in order, as the master's registry writer would write them. */
    final InMemoryRegistry registry = new InMemoryRegistry();
    /** The events the core published, in order (unless {@link #keepEvents} is off); each is checked on the way. */
    final List<ClusterEvent> published = new ArrayList<>();
    boolean keepEvents = true;
    private final EventLedger ledger;

    /** One master→peer stream: an ordered queue of events the peer has not read yet. */
    static final class Stream {
        final String id;
        final boolean agent;
        final ArrayDeque<Object> pending = new ArrayDeque<>();
        /** The master closed it: the peer reads what is pending, then sees the end. */
        boolean closing;
        /** Gone: nothing more arrives. */
        boolean cut;

        Stream(String id, boolean agent) {
            this.id = id;
            this.agent = agent;
        }

        boolean ended() {
            return cut || (closing && pending.isEmpty());
        }
    }

    CoreHarness(MasterConfig config) {
        this(config, 42L);
    }

    CoreHarness(MasterConfig config, long idSeed) {
        this.clock = new ManualClock();
        this.core = new MasterCore(config, clock, IdGenerator.seeded(idSeed));
        this.ledger = new EventLedger(false);
    }

    /** A newly elected master taking over {@code registry} at the clock's time. */
    CoreHarness(MasterConfig config, ManualClock clock, RegistrySnapshot registry, long epoch) {
        this.clock = clock;
        this.core = MasterCore.recover(config, clock, IdGenerator.seeded(epoch + 7), registry, epoch);
        this.ledger = new EventLedger(true);
    }

    String openConnection(boolean agent) {
        String id = (agent ? "a-conn-" : "f-conn-") + (++connections);
        streams.put(id, new Stream(id, agent));
        return id;
    }

    Stream stream(String connectionId) {
        return streams.get(connectionId);
    }

    Outcome handle(Command command) {
        commands++;
        Outcome o = core.handle(command);
        for (Effect e : o.effects()) {
            if (e instanceof Effect.ToFramework f) {
                send(f.connectionId(), f.event());
            } else if (e instanceof Effect.ToAgent a) {
                send(a.connectionId(), a.event());
            } else if (e instanceof Effect.Persist p) {
                registry.apply(p.change());
            } else if (e instanceof Effect.Publish p) {
                ledger.check(p.event(), clock.millis());
                if (keepEvents) {
                    published.add(p.event());
                }
            } else if (e instanceof Effect.CloseStream c) {
                Stream s = streams.get(c.connectionId());
                if (s != null && !s.closing && !s.cut) {
                    s.closing = true;
                    closedByMaster.add(s);
                }
            }
        }
        return o;
    }

    private void send(String connectionId, Object event) {
        Stream s = streams.get(connectionId);
        if (s != null && !s.closing && !s.cut) {
            s.pending.add(event);
        }
    }

    /** The network cut the stream: what was in flight is lost and nothing more arrives. */
    void cut(String connectionId) {
        Stream s = streams.get(connectionId);
        if (s != null) {
            s.cut = true;
            s.pending.clear();
        }
    }

    List<Stream> drainClosedByMaster() {
        List<Stream> out = List.copyOf(closedByMaster);
        closedByMaster.clear();
        return out;
    }

    void forget(String connectionId) {
        streams.remove(connectionId);
    }

    Outcome tick() {
        return handle(new Command.Tick());
    }

    /**
     * Moves the clock by {@code d} and runs a Tick. Connected agents heartbeat on the way, every heartbeat
     * interval, as real agents do (else they would all time out after agentPingTimeout).
     */
    Outcome advance(Duration d) {
        long left = d.toMillis();
        long step = core.config().heartbeatInterval().toMillis();
        while (left > step) {
            clock.advanceMillis(step);
            left -= step;
            heartbeats();
            tick();
        }
        clock.advanceMillis(left);
        heartbeats();
        return tick();
    }

    private void heartbeats() {
        for (AgentPeer a : agents) {
            Stream s = a.conn == null ? null : streams.get(a.conn);
            if (s != null && !s.ended()) {
                a.heartbeat();
            }
        }
    }

    WhyNotView.Entry whyNot(String frameworkId, String agentId) {
        Outcome o = handle(new Command.Query(c -> c.reader().whyNot(frameworkId, agentId).orElseThrow()));
        return ((WhyNotView) o.reply().body()).agents().get(0);
    }

    AgentPeer agent(String hostname, double cpus, double mem) {
        AgentPeer a = new AgentPeer(this, Fixtures.agentInfo(hostname, cpus, mem));
        agents.add(a);
        a.subscribe(List.of());
        return a;
    }

    /** An agent peer that has not subscribed yet (e.g. one coming back to a newly elected master with its id). */
    AgentPeer agentPeer(AgentInfo info) {
        AgentPeer a = new AgentPeer(this, info);
        a.id = info.id();
        agents.add(a);
        return a;
    }

    FrameworkPeer framework(String name, String role) {
        return framework(Fixtures.frameworkInfo(name, role, 3600));
    }

    FrameworkPeer framework(FrameworkInfo info) {
        FrameworkPeer f = new FrameworkPeer(this, info);
        Outcome o = f.subscribe();
        if (o.reply().isError()) {
            throw new AssertionError("subscribe failed: " + o.reply().error());
        }
        return f;
    }

    /** The published events of {@code type}, in order. */
    List<ClusterEvent> events(String type) {
        return published.stream().filter(e -> e.type().equals(type)).toList();
    }

    /** The data of the published events of {@code type}, in order. */
    <T> List<T> eventData(String type, Class<T> data) {
        return events(type).stream().map(e -> data.cast(e.data())).toList();
    }

    /** The types of the events published since the last call. */
    List<String> newEventTypes() {
        List<String> types = published.subList(seenEvents, published.size()).stream().map(ClusterEvent::type).toList();
        seenEvents = published.size();
        return types;
    }

    private int seenEvents;

    /**
     * What every run of the core must publish, checked event by event (the simulation runs it too): known types,
     * ids of entities as subjects, the command's time; each offer made closed by exactly one of accepted, declined or
     * rescinded; a task's statuses following one another ({@code previousState} the last one published) and none
     * after a terminal one.
     */
    static final class EventLedger {
        /** A recovered core may publish statuses of tasks launched by its predecessor. */
        private final boolean recovered;
        private final Set<String> openOffers = new java.util.HashSet<>();
        private final Map<String, TaskState> taskStates = new HashMap<>();

        EventLedger(boolean recovered) {
            this.recovered = recovered;
        }

        void check(ClusterEvent e, long now) {
            require(ClusterEvents.TYPES.contains(e.type()), "unknown event type " + e.type());
            require(e.id() == null, "the core stamps no ids (the bus does): " + e);
            require(e.subject() != null && !e.subject().isBlank(), "no subject: " + e);
            boolean recovery = e.type().equals(ClusterEvents.AGENT_RECOVERING)
                    || e.type().equals(ClusterEvents.FRAMEWORK_RECOVERING); // from the takeover, before any command
            require(recovery ? e.timeMillis() <= now : e.timeMillis() == now,
                    "event time " + e.timeMillis() + " is not the command's " + now);
            require(e.summary() != null && !e.summary().isBlank() && e.data() != null, "no summary or data: " + e);
            switch (e.type()) {
                case ClusterEvents.OFFER_MADE -> require(openOffers.add(e.subject()), "offer made twice: " + e);
                case ClusterEvents.OFFER_ACCEPTED, ClusterEvents.OFFER_DECLINED, ClusterEvents.OFFER_RESCINDED ->
                        require(openOffers.remove(e.subject()), "offer closed that is not open: " + e);
                case ClusterEvents.TASK_LAUNCHED -> {
                    TaskState before = taskStates.put(e.subject(), TaskState.STAGING);
                    require(before == null || before.isTerminal(), "task launched while it is " + before + ": " + e);
                }
                case ClusterEvents.TASK_STATUS -> {
                    ClusterEvents.TaskStatusChanged s = (ClusterEvents.TaskStatusChanged) e.data();
                    require(e.subject().equals(s.frameworkId() + "/" + s.taskId()), "subject is not the task: " + e);
                    TaskState last = taskStates.get(e.subject());
                    if (last == null) {
                        require(recovered, "status of a task never launched: " + e);
                    } else {
                        require(!last.isTerminal(), "status after the terminal " + last + ": " + e);
                        require(s.previousState() == last, "previousState " + s.previousState() + ", but "
                                + last + " was published last: " + e);
                    }
                    taskStates.put(e.subject(), s.state());
                }
                default -> {
                }
            }
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new AssertionError("published events: " + message);
            }
        }
    }

    // ==== peers for unit tests: they do exactly what the test says ====================================================

    /** An agent that the test drives by hand. */
    static final class AgentPeer {
        final CoreHarness h;
        AgentInfo info;
        String id;
        String conn;
        final List<AgentEvent> events = new ArrayList<>();
        private int uuids;

        AgentPeer(CoreHarness h, AgentInfo info) {
            this.h = h;
            this.info = info;
        }

        Outcome subscribe(List<AgentCall.TaskReport> tasks) {
            receive();
            conn = h.openConnection(true);
            Outcome o = h.handle(new Command.SubscribeAgent(conn, new AgentCall.Subscribe(info.withId(id), tasks)));
            if (!o.reply().isError()) {
                id = (String) o.reply().body();
            }
            return o;
        }

        /** The stream breaks; the transport tells the core. */
        Outcome disconnect() {
            receive();
            h.cut(conn);
            return h.handle(new Command.AgentStreamClosed(conn));
        }

        List<AgentEvent> receive() {
            Stream s = h.stream(conn);
            List<AgentEvent> fresh = new ArrayList<>();
            while (s != null && !s.pending.isEmpty()) {
                fresh.add((AgentEvent) s.pending.poll());
            }
            events.addAll(fresh);
            return fresh;
        }

        <T extends AgentEvent> List<T> received(Class<T> type) {
            receive();
            return events.stream().filter(type::isInstance).map(type::cast).toList();
        }

        TaskStatus status(String frameworkId, String taskId, TaskState state) {
            return new TaskStatus(taskId, frameworkId, id, state, null, null, null, id + "-u" + (++uuids),
                    TaskStatus.Source.AGENT, 0);
        }

        Outcome send(TaskStatus status) {
            return h.handle(new Command.FromAgent(conn, new AgentCall.Update(id, status)));
        }

        /** Sends a fresh update for the task and returns it. */
        TaskStatus update(String frameworkId, String taskId, TaskState state) {
            TaskStatus s = status(frameworkId, taskId, state);
            Outcome o = send(s);
            if (o.reply().isError()) {
                throw new AssertionError("update rejected: " + o.reply().error());
            }
            return s;
        }

        Outcome heartbeat() {
            return h.handle(new Command.FromAgent(conn, new AgentCall.Heartbeat(id)));
        }
    }

    /** A framework that the test drives by hand. */
    static final class FrameworkPeer {
        final CoreHarness h;
        FrameworkInfo info;
        String id;
        String conn;
        final List<SchedulerEvent> events = new ArrayList<>();
        private final Map<String, Offer> outstanding = new LinkedHashMap<>();
        private final Set<String> rescinded = new LinkedHashSet<>();

        FrameworkPeer(CoreHarness h, FrameworkInfo info) {
            this.h = h;
            this.info = info;
        }

        Outcome subscribe() {
            receive();
            outstanding.clear();
            conn = h.openConnection(false);
            Outcome o = h.handle(new Command.SubscribeFramework(conn, new SchedulerCall.Subscribe(info.withId(id))));
            if (!o.reply().isError()) {
                id = (String) o.reply().body();
                info = info.withId(id);
            }
            return o;
        }

        Outcome disconnect() {
            receive();
            h.cut(conn);
            outstanding.clear();
            return h.handle(new Command.FrameworkStreamClosed(conn));
        }

        List<SchedulerEvent> receive() {
            Stream s = h.stream(conn);
            List<SchedulerEvent> fresh = new ArrayList<>();
            while (s != null && !s.pending.isEmpty()) {
                SchedulerEvent e = (SchedulerEvent) s.pending.poll();
                fresh.add(e);
                if (e instanceof SchedulerEvent.Offers os) {
                    os.offers().forEach(o -> outstanding.put(o.id(), o));
                } else if (e instanceof SchedulerEvent.Rescind r) {
                    outstanding.remove(r.offerId());
                    rescinded.add(r.offerId());
                }
            }
            events.addAll(fresh);
            return fresh;
        }

        <T extends SchedulerEvent> List<T> received(Class<T> type) {
            receive();
            return events.stream().filter(type::isInstance).map(type::cast).toList();
        }

        /** Offers received and not yet used, declined or rescinded. */
        List<Offer> offers() {
            receive();
            return List.copyOf(outstanding.values());
        }

        Offer onlyOffer() {
            List<Offer> os = offers();
            if (os.size() != 1) {
                throw new AssertionError("expected one outstanding offer to " + id + ", got " + os);
            }
            return os.get(0);
        }

        Set<String> rescinded() {
            receive();
            return rescinded;
        }

        List<TaskStatus> updates() {
            return received(SchedulerEvent.Update.class).stream().map(SchedulerEvent.Update::status).toList();
        }

        List<TaskStatus> updates(String taskId) {
            return updates().stream().filter(s -> s.taskId().equals(taskId)).toList();
        }

        Outcome call(SchedulerCall call) {
            return h.handle(new Command.FromFramework(conn, call));
        }

        Outcome accept(Offer offer, List<TaskInfo> tasks, double refuseSeconds) {
            outstanding.remove(offer.id());
            return call(SchedulerCall.Accept.launch(id, List.of(offer.id()), tasks, Filters.refuse(refuseSeconds)));
        }

        Outcome launch(Offer offer, TaskInfo... tasks) {
            Outcome o = accept(offer, List.of(tasks), 0);
            if (o.reply().isError()) {
                throw new AssertionError("accept rejected: " + o.reply().error());
            }
            return o;
        }

        Outcome decline(Offer offer, double refuseSeconds) {
            outstanding.remove(offer.id());
            return call(new SchedulerCall.Decline(id, List.of(offer.id()), Filters.refuse(refuseSeconds)));
        }

        Outcome ack(TaskStatus s) {
            return call(new SchedulerCall.Acknowledge(id, s.agentId(), s.taskId(), s.uuid()));
        }

        Outcome kill(String taskId) {
            return call(new SchedulerCall.Kill(id, taskId, null));
        }

        Outcome suppress() {
            return call(new SchedulerCall.Suppress(id));
        }

        Outcome revive() {
            return call(new SchedulerCall.Revive(id));
        }

        Outcome teardown() {
            return call(new SchedulerCall.Teardown(id));
        }
    }

    static Duration seconds(double s) {
        return Duration.ofMillis((long) (s * 1000));
    }
}
