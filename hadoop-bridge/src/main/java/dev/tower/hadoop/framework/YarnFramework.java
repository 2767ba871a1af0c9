package dev.tower.hadoop.framework;

import dev.tower.api.client.Scheduler;
import dev.tower.api.client.SchedulerDriver;
import dev.tower.api.model.Filters;
import dev.tower.api.model.Offer;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.hadoop.BridgeSettings;
import dev.tower.hadoop.yarn.Capacity;
import dev.tower.hadoop.yarn.ClusterDemand;
import dev.tower.hadoop.yarn.NodeCapacityAdmin;
import dev.tower.hadoop.yarn.NodeManagerPorts;
import dev.tower.hadoop.yarn.NodeReport;
import dev.tower.hadoop.yarn.ResourceManagerEndpoints;
import dev.tower.hadoop.yarn.ResourceManagerWeb;
import dev.tower.hadoop.yarn.YarnSite;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bridge as a Tower framework: runs a stock ResourceManager and one NodeManager per chosen agent as tasks, and
 * treats YARN's scheduler as the tenant. When YARN has containers waiting for room, it accepts offers of NodeManager
 * agents, holds them with placeholder tasks and grows those NodeManagers through {@code updateNodeResource}; when
 * YARN leaves a placeholder's room unused for the idle delay it shrinks the NodeManager and ends the placeholder; a
 * placeholder lost any other way shrinks its NodeManager at once. A NodeManager whose capability differs from what
 * its tasks hold (it re-registered, say) gets it set again.
 *
 * <p>Every event and every tick runs on one thread, which owns all state.
 */
public final class YarnFramework implements Scheduler {
    private static final Logger log = LoggerFactory.getLogger(YarnFramework.class);
    /** Offers of agents the bridge has no use for now come back after this long (revive brings them sooner). */
    private static final double IDLE_REFUSE_SECONDS = 10;
    private static final long REVIVE_EVERY_MS = 3000;
    /** ResourceManagers that may fail in a row, before YARN was ever ready, until the bridge gives up. */
    private static final int RESOURCE_MANAGER_ATTEMPTS = 3;

    private final BridgeSettings settings;
    private final DaemonTasks tasks;
    private final Clock clock;
    private final ScheduledExecutorService loop;
    private final CompletableFuture<String> ended = new CompletableFuture<>();
    private final CompletableFuture<ResourceManagerEndpoints> ready = new CompletableFuture<>();
    private final AtomicLong seq = new AtomicLong();

    // ---- state, touched on the loop thread only ----
    private SchedulerDriver driver;
    private ResourceManagerTask rm;
    private final Map<String, NodeManagerSlot> slots = new LinkedHashMap<>();
    private final Map<String, NodeManagerSlot> slotOfPlaceholder = new HashMap<>();
    private Map<String, NodeReport> reports = Map.of();
    private ClusterDemand demand = ClusterDemand.NONE;
    private long wanted;
    private long lastRevive;
    private long lastLoggedWant;
    private NodeCapacityAdmin admin;
    private int resourceManagerFailures;

    private static final class ResourceManagerTask {
        final String taskId;
        final String agentId;
        final ResourceManagerEndpoints endpoints;
        final ResourceManagerWeb web;
        boolean running;

        ResourceManagerTask(String taskId, String agentId, ResourceManagerEndpoints endpoints) {
            this.taskId = taskId;
            this.agentId = agentId;
            this.endpoints = endpoints;
            this.web = new ResourceManagerWeb(endpoints.webUrl());
        }
    }

    public YarnFramework(BridgeSettings settings, Clock clock) {
        this.settings = settings;
        this.tasks = new DaemonTasks(settings, new YarnSite(settings.hadoopHome(), settings.largestContainer()));
        this.clock = clock;
        this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tower-yarn-bridge");
            t.setDaemon(true);
            return t;
        });
        long tick = settings.tick().toMillis();
        loop.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.MILLISECONDS);
    }

    /** Completes with the ResourceManager's endpoints once it answers and every NodeManager has registered. */
    public CompletableFuture<ResourceManagerEndpoints> ready() {
        return ready;
    }

    /** Completes with the reason when the master ends the framework. */
    public CompletableFuture<String> ended() {
        return ended;
    }

    public void stop() {
        loop.shutdownNow();
        if (admin != null) {
            admin.close();
        }
    }

    // ---- Scheduler callbacks: handed to the loop ----

    @Override
    public void subscribed(SchedulerDriver d, String frameworkId, boolean reconnected) {
        run(() -> {
            driver = d;
            log.info("framework {} {} as '{}' in role {}", frameworkId, reconnected ? "re-subscribed" : "subscribed",
                    settings.name(), settings.role());
        });
    }

    @Override
    public void offers(SchedulerDriver d, List<Offer> offers) {
        run(() -> offers.forEach(o -> answer(d, o)));
    }

    @Override
    public void update(SchedulerDriver d, TaskStatus status) {
        run(() -> updated(status));
    }

    @Override
    public void error(SchedulerDriver d, String message) {
        log.warn("framework ended by the master: {}", message);
        ended.complete(message);
    }

    private void run(Runnable r) {
        try {
            loop.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    log.error("bridge event failed", e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // stopping
        }
    }

    // ---- offers ----

    private void answer(SchedulerDriver d, Offer offer) {
        Resources left = offer.resources();
        List<TaskInfo> launch = new ArrayList<>();
        if (rm == null) {
            Resources need = settings.resourceManager();
            Optional<OfferPorts> ports = OfferPorts.take(left, ResourceManagerEndpoints.PORTS);
            if (left.contains(need) && ports.isPresent()) {
                ResourceManagerEndpoints endpoints = ResourceManagerEndpoints.of(offer.hostname(), ports.get().ports());
                rm = new ResourceManagerTask(nextId("resourcemanager"), offer.agentId(), endpoints);
                TaskInfo t = tasks.resourceManager(rm.taskId, offer.agentId(), endpoints, ports.get());
                launch.add(t);
                left = left.minus(t.resources());
                log.info("launching ResourceManager {} on agent {} ({}), web {}", rm.taskId, offer.agentId(),
                        offer.hostname(), endpoints.webUrl());
            }
        }
        if (rm != null && slots.size() < settings.nodeManagers() && slotOn(offer.agentId()) == null) {
            Capacity base = anchored() ? settings.base() : settings.base().atLeast(settings.largestContainer());
            Resources need = tasks.nodeManagerResources(base);
            Optional<OfferPorts> ports = OfferPorts.take(left, NodeManagerPorts.PORTS);
            if (left.contains(need) && ports.isPresent()) {
                NodeManagerPorts p = NodeManagerPorts.of(ports.get().ports());
                NodeManagerSlot slot = new NodeManagerSlot(nextId("nodemanager"), offer.agentId(), offer.hostname(),
                        p, base);
                slots.put(slot.taskId, slot);
                TaskInfo t = tasks.nodeManager(slot.taskId, offer.agentId(), offer.hostname(), rm.endpoints, p,
                        ports.get(), base);
                launch.add(t);
                left = left.minus(t.resources());
                log.info("launching NodeManager {} on agent {} ({}) with base capacity {}", slot.taskId,
                        offer.agentId(), offer.hostname(), base);
            }
        }
        NodeManagerSlot slot = slotOn(offer.agentId());
        if (slot != null && slot.growable() && wanted > 0) {
            Capacity unit = demand.averageContainer();
            Resources each = settings.towerResources(unit);
            while (wanted > 0 && left.contains(each) && !each.isEmpty()) {
                Placeholder p = new Placeholder(nextId("placeholder"), unit);
                slot.placeholders.put(p.taskId, p);
                slotOfPlaceholder.put(p.taskId, slot);
                launch.add(tasks.placeholder(p.taskId, offer.agentId(), slot.taskId, unit));
                left = left.minus(each);
                wanted--;
            }
        }
        if (launch.isEmpty()) {
            d.decline(List.of(offer.id()), Filters.refuse(needsOffers() ? 1 : IDLE_REFUSE_SECONDS));
            return;
        }
        List<String> placeholders = launch.stream().map(TaskInfo::taskId).filter(slotOfPlaceholder::containsKey)
                .toList();
        if (!placeholders.isEmpty()) {
            log.info("holding {} on agent {} for NodeManager {}: placeholders {}", launch.stream()
                            .filter(t -> slotOfPlaceholder.containsKey(t.taskId())).map(TaskInfo::resources)
                            .reduce(Resources.EMPTY, Resources::plus), offer.agentId(), slot, placeholders);
        }
        d.launch(List.of(offer.id()), launch, Filters.refuse(1)).whenComplete((ok, e) -> {
            if (e != null) {
                run(() -> launchFailed(launch, e));
            }
        });
    }

    private void launchFailed(List<TaskInfo> launched, Throwable e) {
        log.warn("launch of {} refused: {}", launched.stream().map(TaskInfo::taskId).toList(), e.getMessage());
        for (TaskInfo t : launched) {
            forget(t.taskId());
        }
    }

    /** Whether some running or launching NodeManager is already large enough for the largest container. */
    private boolean anchored() {
        return slots.values().stream().anyMatch(s -> s.base.covers(settings.largestContainer()));
    }

    private boolean needsOffers() {
        return rm == null || slots.size() < settings.nodeManagers() || wanted > 0;
    }

    private NodeManagerSlot slotOn(String agentId) {
        for (NodeManagerSlot s : slots.values()) {
            if (s.agentId.equals(agentId)) {
                return s;
            }
        }
        return null;
    }

    private String nextId(String what) {
        return "yarn-" + what + "-" + seq.incrementAndGet();
    }

    // ---- status updates ----

    private void updated(TaskStatus status) {
        String id = status.taskId();
        TaskState state = status.state();
        if (rm != null && id.equals(rm.taskId)) {
            if (state == TaskState.RUNNING) {
                rm.running = true;
            } else if (state.isTerminal()) {
                resourceManagerFailures++;
                String why = "ResourceManager " + id + " ended: " + describe(status)
                        + " (its output is in its sandbox)";
                if (!ready.isDone() && resourceManagerFailures >= RESOURCE_MANAGER_ATTEMPTS) {
                    log.error("{}; {} ResourceManagers failed before YARN was ready: giving up", why,
                            resourceManagerFailures);
                    restart();
                    driver.teardown();
                    ended.complete(why);
                } else {
                    log.warn("{}; starting YARN again", why);
                    restart();
                }
            }
            return;
        }
        NodeManagerSlot slot = slots.get(id);
        if (slot != null) {
            if (state == TaskState.RUNNING) {
                slot.running = true;
                log.info("NodeManager {} running on agent {}", id, slot.agentId);
            } else if (state.isTerminal()) {
                log.warn("NodeManager {} ended: {}; its placeholders go too, another NodeManager will be launched",
                        id, describe(status));
                for (Placeholder p : slot.all()) {
                    slotOfPlaceholder.remove(p.taskId);
                    kill(p.taskId, slot.agentId);
                }
                slot.placeholders.clear();
                // The task is gone as far as Tower knows, but the process may live on (its agent was lost, say) and
                // keep heartbeating: YARN must not place anything more on what Tower no longer grants.
                retire(slot);
                slots.remove(id);
                reviveSoon();
            }
            return;
        }
        NodeManagerSlot owner = slotOfPlaceholder.get(id);
        if (owner != null) {
            Placeholder p = owner.placeholders.get(id);
            if (state == TaskState.RUNNING && !p.running) {
                p.running = true;
                apply(owner, NodeCapacityAdmin.KEEP_RUNNING, "grown by " + id);
            } else if (state.isTerminal()) {
                owner.placeholders.remove(id);
                slotOfPlaceholder.remove(id);
                if (!p.releasing && p.running) {
                    // Tower no longer gives YARN these resources: containers above the smaller capability are killed.
                    apply(owner, NodeCapacityAdmin.PREEMPT, "placeholder " + id + " lost (" + describe(status) + ")");
                } else if (!p.releasing) {
                    log.info("placeholder {} ended before it ran: {}", id, describe(status));
                }
            }
        }
    }

    /** {@code STATE reason: message}, leaving out what the update does not say. */
    static String describe(TaskStatus s) {
        StringBuilder sb = new StringBuilder(s.state().name());
        if (s.reason() != null && !s.reason().isBlank()) {
            sb.append(' ').append(s.reason());
        }
        if (s.message() != null && !s.message().isBlank()) {
            sb.append(": ").append(s.message());
        }
        return sb.toString();
    }

    private void forget(String taskId) {
        if (rm != null && rm.taskId.equals(taskId)) {
            rm = null;
        }
        slots.remove(taskId);
        NodeManagerSlot owner = slotOfPlaceholder.remove(taskId);
        if (owner != null) {
            owner.placeholders.remove(taskId);
        }
    }

    /** The ResourceManager is gone, and YARN's state with it: end every task and start over. */
    private void restart() {
        for (NodeManagerSlot s : slots.values()) {
            for (Placeholder p : s.all()) {
                kill(p.taskId, s.agentId);
            }
            kill(s.taskId, s.agentId);
        }
        slots.clear();
        slotOfPlaceholder.clear();
        if (admin != null) {
            admin.close();
            admin = null;
        }
        rm = null;
        reports = Map.of();
        wanted = 0;
        reviveSoon();
    }

    private void kill(String taskId, String agentId) {
        if (driver != null) {
            driver.kill(taskId, agentId).exceptionally(e -> {
                log.info("kill {}: {}", taskId, e.getMessage());
                return null;
            });
        }
    }

    private void reviveSoon() {
        if (driver != null) {
            lastRevive = clock.millis();
            driver.revive().exceptionally(e -> null);
        }
    }

    // ---- the tick: YARN's demand and nodes ----

    private void tick() {
        try {
            observe();
        } catch (RuntimeException e) {
            log.error("bridge tick failed", e);
        }
    }

    private void observe() {
        if (rm == null || !rm.running) {
            return;
        }
        List<NodeReport> nodes;
        try {
            demand = rm.web.demand();
            nodes = rm.web.nodes();
        } catch (IOException e) {
            log.debug("ResourceManager web API not answering yet: {}", e.toString());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        reports = match(nodes);
        for (NodeManagerSlot s : slots.values()) {
            NodeReport r = reports.get(s.taskId);
            if (r != null && s.nodeId == null) {
                s.nodeId = r.id();
                log.info("NodeManager {} registered with YARN as node {}, capability {}", s.taskId, r.id(),
                        r.capacity());
            }
        }
        if (admin == null) {
            try {
                admin = new NodeCapacityAdmin(rm.endpoints);
            } catch (IOException e) {
                log.info("cannot reach the ResourceManager's admin service yet: {}", e.getMessage());
                return;
            }
        }
        Instant now = clock.instant();
        for (NodeManagerSlot s : slots.values()) {
            NodeReport r = reports.get(s.taskId);
            if (r == null || !r.running()) {
                continue;
            }
            List<Placeholder> idle = CapacityPlanner.toRelease(s, r, demand, now, settings.idleRelease());
            for (Placeholder p : idle) {
                p.releasing = true;
                if (apply(s, NodeCapacityAdmin.KEEP_RUNNING, "placeholder " + p.taskId + " idle for "
                        + settings.idleRelease().toSeconds() + " s, released")) {
                    kill(p.taskId, s.agentId);
                } else {
                    p.releasing = false;
                }
            }
            // The report predates what this tick changed; otherwise a difference means YARN lost what was set
            // (the NodeManager re-registered, or restarted, at its configured base).
            if (idle.isEmpty() && !r.capacity().equals(s.held())) {
                apply(s, NodeCapacityAdmin.KEEP_RUNNING, "YARN had it at " + r.capacity()
                        + " (re-registered?); set again");
            }
        }
        long running = reports.values().stream().filter(NodeReport::running).count();
        if (!ready.isDone() && running >= settings.nodeManagers()) {
            resourceManagerFailures = 0;
            ready.complete(rm.endpoints);
        }
        wanted = CapacityPlanner.containersToAdd(demand, List.copyOf(slots.values()), reports);
        if (wanted > 0 && clock.millis() - lastRevive >= REVIVE_EVERY_MS) {
            // One line per change of demand, not one per revive while the cluster is full.
            if (wanted != lastLoggedWant) {
                log.info("YARN waits for {} containers ({} MB, {} vcores): asking for {} more of {}",
                        demand.containersPending(), demand.pendingMb(), demand.pendingVcores(), wanted,
                        demand.averageContainer());
            }
            lastLoggedWant = wanted;
            reviveSoon();
        } else if (wanted == 0) {
            lastLoggedWant = 0;
        }
    }

    /** Each slot's report: the node on the slot's RPC port (and host, when several hosts use that port). */
    private Map<String, NodeReport> match(List<NodeReport> nodes) {
        Map<String, NodeReport> out = new HashMap<>();
        for (NodeManagerSlot s : slots.values()) {
            List<NodeReport> onPort = nodes.stream().filter(n -> n.port() == s.ports.rpc()).toList();
            Optional<NodeReport> r = onPort.size() == 1 ? Optional.of(onPort.get(0))
                    : onPort.stream().filter(n -> n.host().equals(s.host) || n.id().equals(s.nodeId)).findFirst();
            r.ifPresent(n -> out.put(s.taskId, n));
        }
        return out;
    }

    private void retire(NodeManagerSlot s) {
        if (s.nodeId == null || admin == null) {
            return;
        }
        try {
            admin.set(s.nodeId, Capacity.ZERO, NodeCapacityAdmin.PREEMPT);
            log.info("node {} capability {}: its NodeManager task {} ended", s.nodeId, Capacity.ZERO, s.taskId);
        } catch (IOException e) {
            log.info("could not zero node {}: {}", s.nodeId, e.getMessage());
        }
    }

    /** Sets the slot's node to the capacity its tasks hold; false if YARN could not be told. */
    private boolean apply(NodeManagerSlot s, int overcommitTimeout, String why) {
        if (s.nodeId == null || admin == null) {
            return false;
        }
        Capacity to = s.held();
        try {
            long start = System.nanoTime();
            admin.set(s.nodeId, to, overcommitTimeout);
            log.info("node {} capability {} ({} ms): {}", s.nodeId, to, (System.nanoTime() - start) / 1_000_000, why);
            return true;
        } catch (IOException e) {
            log.warn("could not set node {} to {}: {}", s.nodeId, to, e.getMessage());
            return false;
        }
    }
}
