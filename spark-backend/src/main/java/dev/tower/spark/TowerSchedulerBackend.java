package dev.tower.spark;

import dev.tower.api.client.Scheduler;
import dev.tower.api.client.SchedulerClient;
import dev.tower.api.client.SchedulerDriver;
import dev.tower.api.model.Filters;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Offer;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.rpc.RpcAddress;
import org.apache.spark.rpc.RpcEndpointAddress;
import org.apache.spark.scheduler.ExecutorProcessLost;
import org.apache.spark.scheduler.TaskSchedulerImpl;
import org.apache.spark.scheduler.cluster.CoarseGrainedSchedulerBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.Tuple2;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a Spark application's executors on Tower. The application subscribes as a Tower framework (named after the
 * application, in role {@code spark.tower.role}); each executor is one Tower task running Spark's
 * {@code CoarseGrainedExecutorBackend}, which connects back to this driver. Spark's own machinery (task scheduling,
 * dynamic allocation, executor registration) is inherited from {@link CoarseGrainedSchedulerBackend}; this class
 * adds the Tower side: turning offers into executors, telling Spark when an executor's task ends and why, killing
 * executors Spark no longer wants, and ending the framework with the application.
 *
 * <p>Threads: Tower callbacks arrive on the scheduler client's single event thread; Spark calls
 * {@link #doRequestTotalExecutors} and {@link #doKillExecutors} from its own threads, holding the parent's lock.
 * The backend's state is guarded by {@link #lock}, which is never held while calling into the parent, so the two
 * locks are always taken in the same order.
 *
 * <p>The Spark application id is the Tower framework id, so the Spark UI and Tower's UI name the application alike,
 * and executor tasks are named {@code <framework id>-executor-<executor id>}.
 */
public class TowerSchedulerBackend extends CoarseGrainedSchedulerBackend {
    private static final Logger LOG = LoggerFactory.getLogger(TowerSchedulerBackend.class);
    private static final Duration TEARDOWN_TIMEOUT = Duration.ofSeconds(10);

    private final SparkContext sc;
    private final TaskSchedulerImpl taskScheduler;
    private final TowerMasterUrl master;
    private final TowerSparkConf conf;
    private final ExecutorPlanner planner;
    private final ExecutorCommand command;

    private final Object lock = new Object();
    private static final Duration LOSS_REASON_WAIT = Duration.ofSeconds(10);
    private final ScheduledExecutorService lossReasonTimer =
            Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "tower-executor-loss-reasons");
                t.setDaemon(true);
                return t;
            });
    /** Guarded by lock. Created once the framework has an id. */
    private ExecutorRoster roster;
    /** Guarded by lock. */
    private final AgentFailures failures;
    /** Guarded by lock. Executors wanted in all; empty means as many as cores and the cluster allow. */
    private OptionalInt target;
    /** Guarded by lock. */
    private boolean stopping;
    /** Guarded by lock. The last reason no offer could be used, logged once per change. */
    private String lastShortage;

    private volatile SchedulerClient client;
    private volatile OfferGate gate;
    private volatile boolean started;
    private volatile String lastError;
    private final dev.tower.api.security.ClientSecurity security;

    public TowerSchedulerBackend(TaskSchedulerImpl scheduler, SparkContext sc, TowerMasterUrl master) {
        super(scheduler, sc.env().rpcEnv());
        this.sc = sc;
        this.taskScheduler = scheduler;
        this.master = master;
        this.conf = TowerSparkConf.from(settings(sc.conf()));
        this.security = TowerSparkSecurity.from(settings(sc.conf()), System.getenv());
        this.planner = ExecutorPlanner.of(conf);
        this.failures = new AgentFailures(conf.maxAgentFailures());
        this.target = conf.initialTarget();
        this.command = new ExecutorCommand(conf, launchContext(sc));
    }

    // ---- lifecycle ----

    @Override
    public void start() {
        super.start();
        FrameworkInfo info = new FrameworkInfo(null, sc.appName(), conf.role(), conf.principal().orElse(null),
                sc.sparkUser(), sc.conf().get("spark.driver.host", null),
                conf.failoverTimeout().toMillis() / 1000.0, List.of());
        SchedulerClient c = SchedulerClient.builder(master.towerMasters(), info, new Events())
                .security(security).build();
        client = c;
        gate = new OfferGate(c);
        c.start();
        boolean subscribed;
        try {
            subscribed = c.awaitSubscribed(conf.subscribeTimeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            subscribed = false;
        }
        if (!subscribed) {
            c.close();
            try {
                // A refusal reaches error() on the client's event thread; let it land before reading it.
                c.terminated().toCompletableFuture().get(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // the message below says what is known
            }
            String why = lastError;
            throw new IllegalStateException("Could not subscribe to the Tower master at " + master.towerMasters()
                    + " within " + conf.subscribeTimeout().toSeconds() + " s (" + TowerSparkConf.SUBSCRIBE_TIMEOUT + ")"
                    + (why != null ? ": " + why : ""));
        }
        String frameworkId = c.frameworkId().orElseThrow();
        synchronized (lock) {
            if (roster == null) {
                roster = new ExecutorRoster(frameworkId);
            }
        }
        started = true;
        LOG.info("Spark application {} is Tower framework {} in role {} (master {}); executors: {} cores, {} MB "
                        + "({} MB heap + {} MB overhead), Spark from {}", sc.appName(), frameworkId, conf.role(),
                master.towerMasters(), conf.executorCores(), conf.executorTaskMemoryMb(), conf.executorMemoryMb(),
                conf.memoryOverheadMb(), describeSpark());
    }

    @Override
    public CoarseGrainedSchedulerBackend.DriverEndpoint createDriverEndpoint() {
        return new TowerDriverEndpoint();
    }

    /**
     * Learns why an executor went away from Tower rather than from the broken connection. When an executor's process
     * dies its connection drops at once, and Spark's default is to remove the executor right then with the generic
     * "Remote RPC client disassociated". Tower reports the real end (exit status, kill, agent lost) a few milliseconds
     * later, so here the executor is only disabled (no new tasks go to it) and {@code removeExecutor} is left to the
     * Tower status, which carries that reason into Spark's log and UI. If Tower says nothing within
     * {@link #LOSS_REASON_WAIT}, the executor is removed with the generic reason after all.
     */
    private final class TowerDriverEndpoint extends CoarseGrainedSchedulerBackend.DriverEndpoint {
        @Override
        public void onDisconnected(RpcAddress remoteAddress) {
            Option<String> id = addressToExecutorId().get(remoteAddress);
            if (id.isEmpty()) {
                return;
            }
            String executorId = id.get();
            if (!disableExecutor(executorId)) {
                return;
            }
            LOG.debug("executor {} disconnected; waiting for Tower to say why", executorId);
            lossReasonTimer.schedule(() -> {
                if (isExecutorActive(executorId) || executorsPendingLossReason().contains(executorId)) {
                    removeExecutor(executorId, new ExecutorProcessLost("disconnected from the driver; Tower reported "
                            + "no end of its task within " + LOSS_REASON_WAIT.toSeconds() + " s", Option.empty(), false));
                }
            }, LOSS_REASON_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Stops Spark's side first (executors are told to exit and the driver endpoint closes), waits a little for the
     * executors' tasks to end on their own, then tears the framework down, which makes Tower kill whatever is left.
     */
    @Override
    public void stop() {
        synchronized (lock) {
            if (stopping) {
                return;
            }
            stopping = true;
        }
        try {
            super.stop();
        } finally {
            lossReasonTimer.shutdownNow();
            if (!conf.shutdownTimeout().isZero()) {
                awaitExecutorsEnded(conf.shutdownTimeout());
            }
            tearDown();
        }
    }

    private void awaitExecutorsEnded(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (roster != null && !roster.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.info("{} executor(s) still running after {} s; tearing the framework down kills them",
                            roster.all().size(), timeout.toSeconds());
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void tearDown() {
        SchedulerClient c = client;
        if (c == null) {
            return;
        }
        if (!started) {
            // start() failed before the framework existed, or right after: nothing to end but the client.
            c.close();
            return;
        }
        try {
            if (!c.isSubscribed()) {
                c.awaitSubscribed(Duration.ofSeconds(5));
            }
            c.teardown().get(TEARDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("Tower framework {} torn down", c.frameworkId().orElse("?"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("Could not tear down Tower framework {}: {}; Tower removes it, and kills its executors, after "
                            + "its failover timeout ({} s)", c.frameworkId().orElse("?"),
                    e instanceof ExecutionException ? e.getCause().getMessage() : "no answer",
                    conf.failoverTimeout().toSeconds());
        } finally {
            c.close();
        }
    }

    @Override
    public String applicationId() {
        SchedulerClient c = client;
        Optional<String> id = c == null ? Optional.empty() : c.frameworkId();
        return id.orElseGet(super::applicationId);
    }

    /** Ready for tasks once the configured share of the wanted executors has registered. */
    @Override
    public boolean sufficientResourcesRegistered() {
        double ratio = minRegisteredRatio();
        OptionalInt t;
        synchronized (lock) {
            t = target;
        }
        if (t.isPresent()) {
            return totalRegisteredExecutors().get() >= t.getAsInt() * ratio;
        }
        if (conf.coresMax().isPresent()) {
            return totalCoreCount().get() >= conf.coresMax().getAsInt() * ratio;
        }
        return true;
    }

    // ---- dynamic allocation ----

    @Override
    public Future<Object> doRequestTotalExecutors(
            scala.collection.immutable.Map<ResourceProfile, Object> resourceProfileToTotalExecs) {
        Map<ResourceProfile, Object> requested = CollectionConverters.asJava(resourceProfileToTotalExecs);
        Integer total = null;
        for (Map.Entry<ResourceProfile, Object> e : requested.entrySet()) {
            if (e.getKey().id() == ResourceProfile.DEFAULT_RESOURCE_PROFILE_ID()) {
                total = (Integer) e.getValue();
            } else if ((Integer) e.getValue() > 0) {
                LOG.warn("Ignoring a request for {} executors of resource profile {}: Tower executors serve only the "
                        + "default profile", e.getValue(), e.getKey().id());
            }
        }
        if (total != null) {
            int wanted;
            boolean changed;
            synchronized (lock) {
                changed = target.isEmpty() || target.getAsInt() != total;
                target = OptionalInt.of(total);
                wanted = wantedLocked();
            }
            if (changed) {
                LOG.info("Executor target is now {} ({} more wanted)", total, wanted);
            }
            OfferGate g = gate;
            if (g != null) {
                if (wanted > 0) {
                    g.wantMore();
                } else {
                    g.satisfied();
                }
            }
        }
        return Future.successful(Boolean.TRUE);
    }

    @Override
    public Future<Object> doKillExecutors(scala.collection.immutable.Seq<String> executorIds) {
        SchedulerClient c = client;
        if (c == null) {
            LOG.warn("Asked to kill executors {} before the backend started", executorIds);
            return Future.successful(Boolean.FALSE);
        }
        for (String id : CollectionConverters.asJava(executorIds)) {
            Optional<TowerExecutor> e;
            synchronized (lock) {
                e = roster == null ? Optional.empty() : roster.markKilling(id);
            }
            if (e.isEmpty()) {
                LOG.info("Asked to kill executor {}, which has no running Tower task", id);
                continue;
            }
            TowerExecutor x = e.get();
            LOG.info("Killing executor {} (Tower task {} on agent {})", id, x.taskId(), x.agentId());
            c.kill(x.taskId(), x.agentId()).whenComplete((ok, error) -> {
                if (error != null) {
                    LOG.warn("Could not kill Tower task {} of executor {}: {}", x.taskId(), id, error.getMessage());
                }
            });
        }
        return Future.successful(Boolean.TRUE);
    }

    // ---- Tower events ----

    /** Tower's callbacks, all on the scheduler client's event thread. */
    private final class Events implements Scheduler {
        @Override
        public void subscribed(SchedulerDriver driver, String frameworkId, boolean reconnected) {
            int wanted;
            synchronized (lock) {
                if (roster == null) {
                    roster = new ExecutorRoster(frameworkId);
                }
                wanted = wantedLocked();
            }
            if (reconnected) {
                LOG.info("Re-subscribed to Tower as framework {}; reconciling executor tasks", frameworkId);
                driver.reconcile(List.of());
                gate.resubscribed(wanted > 0);
            }
        }

        @Override
        public void offers(SchedulerDriver driver, List<Offer> offers) {
            try {
                handleOffers(driver, offers);
            } catch (RuntimeException e) {
                // An offer left unanswered would sit idle until Tower rescinds it: give them back at once.
                LOG.error("Could not plan executors for {} offer(s); declining them", offers.size(), e);
                decline(driver, offers.stream().map(Offer::id).toList(), Filters.DEFAULT_REFUSE_SECONDS);
            }
        }

        @Override
        public void update(SchedulerDriver driver, TaskStatus status) {
            handleUpdate(status);
        }

        @Override
        public void rescinded(SchedulerDriver driver, String offerId) {
            // Offers are answered as they arrive, so there is never one of ours to forget.
        }

        @Override
        public void agentLost(SchedulerDriver driver, String agentId) {
            LOG.info("Tower lost agent {}; updates for its executors follow", agentId);
        }

        @Override
        public void disconnected(SchedulerDriver driver) {
            LOG.warn("Lost the connection to the Tower master; re-subscribing. Executors keep running for up to {} s "
                    + "({})", conf.failoverTimeout().toSeconds(), TowerSparkConf.FAILOVER_TIMEOUT);
        }

        @Override
        public void error(SchedulerDriver driver, String message) {
            lastError = message;
            boolean wasStopping;
            synchronized (lock) {
                wasStopping = stopping;
            }
            if (!started || wasStopping) {
                return;
            }
            LOG.error("Tower ended framework {}: {}; stopping the application", applicationId(), message);
            try {
                taskScheduler.error("Tower ended the application's framework: " + message);
            } catch (RuntimeException e) {
                LOG.debug("task scheduler error", e);
            } finally {
                sc.stopInNewThread();
            }
        }
    }

    private void handleOffers(SchedulerDriver driver, List<Offer> offers) {
        List<PendingLaunch> launches = new ArrayList<>();
        OfferPlan plan;
        String shortage = null;
        synchronized (lock) {
            if (stopping || roster == null) {
                decline(driver, offers.stream().map(Offer::id).toList(), conf.rejectOfferDuration().toSeconds());
                return;
            }
            ExecutorCounts counts = roster.counts();
            int wanted = wantedLocked(counts);
            plan = planner.plan(offers, wanted, counts, failures.excluded());
            for (OfferPlan.Launch l : plan.launches()) {
                List<TaskInfo> tasks = new ArrayList<>();
                for (int i = 0; i < l.executors(); i++) {
                    TowerExecutor e = roster.add(l.offer().agentId(), l.offer().hostname(), conf.executorCores());
                    tasks.add(new TaskInfo(e.taskId(), sc.appName() + " executor " + e.executorId(),
                            l.offer().agentId(), l.perExecutor(), command.build(e, roster.appId()), null,
                            Map.of("spark-app-id", roster.appId(), "spark-executor-id", e.executorId()),
                            conf.executorContainer().orElse(null)));
                    LOG.info("Launching executor {} on agent {} ({}) as Tower task {}: {}", e.executorId(),
                            e.agentId(), e.hostname(), e.taskId(), l.perExecutor());
                }
                launches.add(new PendingLaunch(l, tasks));
            }
            if (!plan.satisfied() && plan.launches().isEmpty() && !plan.declines().isEmpty()) {
                OfferPlan.Decline first = plan.declines().get(0);
                shortage = "agent " + first.offer().agentId() + " (" + first.offer().hostname() + "): "
                        + first.reason();
                if (shortage.equals(lastShortage)) {
                    shortage = null;
                } else {
                    lastShortage = shortage;
                }
            } else if (!plan.launches().isEmpty()) {
                lastShortage = null;
            }
        }
        for (PendingLaunch p : launches) {
            driver.launch(List.of(p.launch.offer().id()), p.tasks, Filters.refuse(p.launch.refuseSeconds()))
                    .whenComplete((ok, error) -> {
                        if (error != null) {
                            launchFailed(p, error);
                        }
                    });
        }
        Map<Double, List<String>> declines = new TreeMap<>();
        for (OfferPlan.Decline d : plan.declines()) {
            LOG.debug("Declining offer {} of agent {} ({}): {}", d.offer().id(), d.offer().agentId(),
                    d.offer().hostname(), d.reason());
            declines.computeIfAbsent(d.refuseSeconds(), s -> new ArrayList<>()).add(d.offer().id());
        }
        declines.forEach((seconds, ids) -> decline(driver, ids, seconds));
        if (shortage != null) {
            LOG.info("Waiting for executors: {} more wanted, no offer fits; e.g. {}", plan.stillWanted(), shortage);
        }
        if (plan.satisfied()) {
            gate.satisfied();
        } else if (declines.keySet().stream().anyMatch(s -> s >= conf.rejectOfferDuration().toSeconds())) {
            gate.declinedForLong();
        }
    }

    private record PendingLaunch(OfferPlan.Launch launch, List<TaskInfo> tasks) {
    }

    /** The master refused the launch (the offer was rescinded, say): the executors never start. */
    private void launchFailed(PendingLaunch p, Throwable error) {
        LOG.warn("Tower refused to launch {} executor(s) on agent {}: {}", p.tasks.size(),
                p.launch.offer().agentId(), error.getMessage());
        int wanted;
        synchronized (lock) {
            for (TaskInfo t : p.tasks) {
                roster.ended(t.taskId());
            }
            wanted = stopping ? 0 : wantedLocked();
            lock.notifyAll();
        }
        if (wanted > 0) {
            gate.wantMore();
        }
    }

    private static void decline(SchedulerDriver driver, List<String> offerIds, double seconds) {
        driver.decline(offerIds, Filters.refuse(seconds)).whenComplete((ok, error) -> {
            if (error != null) {
                LOG.debug("Declining offers {} failed (they expire on their own): {}", offerIds, error.getMessage());
            }
        });
    }

    private void handleUpdate(TaskStatus status) {
        TaskState state = status.state();
        if (!state.isTerminal()) {
            if (state == TaskState.UNREACHABLE) {
                LOG.warn("Executor task {} is unreachable (its agent {} is cut off from the master): {}",
                        status.taskId(), status.agentId(), status.message());
            } else if (state != TaskState.UNKNOWN) {
                LOG.info("Executor task {} is {}", status.taskId(), state);
            }
            return;
        }
        TowerExecutor executor;
        ExecutorEnd end;
        boolean excludedNow = false;
        int agentFailures = 0;
        boolean wasStopping;
        int wanted;
        synchronized (lock) {
            Optional<TowerExecutor> e = roster == null ? Optional.empty() : roster.ended(status.taskId());
            if (e.isEmpty()) {
                return;
            }
            executor = e.get();
            end = ExecutorEnd.of(status, executor);
            if (end.agentFailure()) {
                excludedNow = failures.record(executor.agentId());
                agentFailures = failures.failures(executor.agentId());
            }
            wasStopping = stopping;
            wanted = stopping ? 0 : wantedLocked();
            lock.notifyAll();
        }
        if (wasStopping) {
            LOG.debug("{} while stopping", end.message());
            return;
        }
        if (end.agentFailure()) {
            LOG.warn("Executor {} lost: {}", executor.executorId(), end.message());
        } else {
            LOG.info("Executor {} ended: {}", executor.executorId(), end.message());
        }
        removeExecutor(executor.executorId(), new ExecutorProcessLost(end.message(), Option.empty(),
                end.causedByApp()));
        if (excludedNow) {
            LOG.warn("No more executors will be placed on agent {} ({}): {} executor failures there ({}={}); last: {}",
                    executor.agentId(), executor.hostname(), agentFailures, TowerSparkConf.MAX_AGENT_FAILURES,
                    conf.maxAgentFailures(), end.message());
        }
        if (wanted > 0) {
            gate.wantMore();
        }
    }

    private int wantedLocked() {
        return roster == null ? 0 : wantedLocked(roster.counts());
    }

    private int wantedLocked(ExecutorCounts counts) {
        return planner.wanted(target, conf.coresMax(), counts);
    }

    // ---- start-up helpers ----

    private String describeSpark() {
        return switch (command.mode()) {
            case URI -> conf.executorUri().orElseThrow() + " (fetched into each executor's sandbox)";
            case HOME -> conf.executorHome().orElseThrow() + " (" + TowerSparkConf.EXECUTOR_HOME + ")";
            case DRIVER_HOME -> command.home().orElseThrow() + " (the driver's Spark home"
                    + command.classData().map(d -> "; class data sharing archive " + d.archive())
                    .or(() -> command.noClassData().map(why -> "; no class data sharing: " + why)).orElse("")
                    + ")";
        };
    }

    private static Map<String, String> settings(SparkConf conf) {
        Map<String, String> out = new HashMap<>();
        for (Tuple2<String, String> kv : conf.getAll()) {
            out.put(kv._1(), kv._2());
        }
        return out;
    }

    private static ExecutorLaunchContext launchContext(SparkContext sc) {
        SparkConf c = sc.conf();
        String driverUrl = new RpcEndpointAddress(c.get("spark.driver.host"), c.getInt("spark.driver.port", 0),
                CoarseGrainedSchedulerBackend.ENDPOINT_NAME()).toString();
        // spark.home, else the SPARK_HOME environment variable
        Optional<String> home = sc.getSparkHome().isDefined() ? Optional.of(sc.getSparkHome().get()) : Optional.empty();
        List<String> startup = new ArrayList<>();
        for (Tuple2<String, String> kv : c.getAll()) {
            if (SparkConf.isExecutorStartupConf(kv._1())) {
                startup.add("-D" + kv._1() + "=" + kv._2());
            }
        }
        startup.sort(null);
        Optional<String> secret = c.getBoolean("spark.authenticate", false)
                ? Optional.ofNullable(sc.env().securityManager().getSecretKey()) : Optional.empty();
        Map<String, String> envs = new HashMap<>(CollectionConverters.asJava(sc.executorEnvs()));
        return new ExecutorLaunchContext(driverUrl, sc.sparkUser(), home, scalaBinaryVersion(), envs, startup, secret);
    }

    private static String scalaBinaryVersion() {
        String full = scala.util.Properties.versionNumberString();
        String[] parts = full.split("\\.");
        return parts.length >= 2 ? parts[0] + "." + parts[1] : full;
    }
}
