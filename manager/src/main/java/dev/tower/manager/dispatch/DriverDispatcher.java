package dev.tower.manager.dispatch;

import dev.tower.api.client.Scheduler;
import dev.tower.api.client.SchedulerClient;
import dev.tower.api.client.SchedulerDriver;
import dev.tower.api.model.Filters;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Offer;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskStatus;
import dev.tower.manager.core.Command;
import dev.tower.manager.core.DriverSpec;
import dev.tower.manager.core.RegistrySnapshot;
import dev.tower.manager.core.Reply;
import dev.tower.manager.core.StateReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Runs the drivers submitted in cluster deploy mode as Tower tasks. It is an ordinary framework (role
 * {@link DispatcherOptions#role}, default {@code spark-drivers}) that lives inside the leading master and talks to it
 * through the same scheduler API as every other framework: it gets offers by DRF like the rest, its driver tasks are
 * tracked, killed, reconciled and reported like any task, and nothing in the allocator or the agent protocol knows
 * about Spark. What it does not own is the drivers' state: that is the core's book ({@code core.Drivers}), durable
 * in the registry. The dispatcher asks the book, through commands, which drivers wait ({@link StateReader#driverWork}),
 * claims one before launching it (so a driver never has two tasks at once, whatever the timing), and hands it every
 * status update of its tasks; the book decides what each means (finished, failed, relaunch after a backoff).
 * <p>
 * It subscribes with a fixed framework id and a long failover timeout, so that a newly elected leader's dispatcher
 * takes over the running drivers of the previous one. It subscribes only once there is something to do (a
 * submission, or drivers known from the registry that have not ended): a cluster where nobody uses cluster mode has
 * no dispatcher framework.
 */
public final class DriverDispatcher implements Scheduler, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DriverDispatcher.class);
    public static final String FRAMEWORK_ID = "tower-spark-dispatcher";
    static final String FRAMEWORK_NAME = "spark-cluster-dispatcher";
    /** Running drivers survive a master failover as long as this. */
    static final double FAILOVER_TIMEOUT_SECONDS = 7 * 24 * 3600;
    static final long CORE_REPLY_SECONDS = 30;
    public static final String SUBMISSION_LABEL = "tower.spark.submission";

    private final DispatcherOptions options;
    private final Function<Command, CompletableFuture<Reply>> core;
    private final String sparkMasterUrl;
    private final SchedulerClient client;
    private final ExecutorService work;
    private final AtomicBoolean workPending = new AtomicBoolean();
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean wantsOffers = true;

    /**
     * @param core where commands go (this term's core loop)
     * @param masterAddress this master's {@code host:port}: the dispatcher is a client of its own master
     * @param sparkMasterUrl what drivers are given as {@code --master}: {@code spark+tower://} and this master's
     *                       address, or the {@code zk://} URL of the masters
     */
    public DriverDispatcher(DispatcherOptions options, Function<Command, CompletableFuture<Reply>> core,
                            String masterAddress, String sparkMasterUrl) {
        this.options = options;
        this.core = core;
        this.sparkMasterUrl = sparkMasterUrl;
        FrameworkInfo info = new FrameworkInfo(FRAMEWORK_ID, FRAMEWORK_NAME, options.role(), null, null, null,
                FAILOVER_TIMEOUT_SECONDS, List.of());
        this.client = SchedulerClient.builder(masterAddress, info, this).build();
        this.work = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tower-driver-dispatcher");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The book changed (a submission, a kill, a relaunch due): look at it again, subscribing first if this is the
     * first time. Cheap; called on the core thread.
     */
    public void wake() {
        if (workPending.compareAndSet(false, true)) {
            try {
                work.execute(() -> {
                    workPending.set(false);
                    if (started.compareAndSet(false, true)) {
                        client.start(); // subscribed() acts
                        return;
                    }
                    act();
                });
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                workPending.set(false);
            }
        }
    }

    /** Kills what the book says to kill; asks for offers while drivers wait, and stops asking when none does. */
    private void act() {
        if (!client.isSubscribed()) {
            return; // subscribed() acts again
        }
        Optional<StateReader.DriverWork> w = driverWork();
        if (w.isEmpty()) {
            return;
        }
        for (List<String> k : w.get().kill()) {
            client.kill(k.get(1), k.get(2)).exceptionally(e -> {
                log.warn("cannot kill driver {} (task {}): {}", k.get(0), k.get(1), e.toString());
                return null;
            });
        }
        boolean waiting = !w.get().launch().isEmpty();
        if (waiting && !wantsOffers) {
            wantsOffers = true;
            client.revive();
        } else if (!waiting && wantsOffers) {
            wantsOffers = false;
            client.suppress();
        }
    }

    private Optional<StateReader.DriverWork> driverWork() {
        Reply r = await(new Command.Query(c -> c.reader().driverWork()));
        return r.isError() ? Optional.empty() : Optional.of((StateReader.DriverWork) r.body());
    }

    @Override
    public void subscribed(SchedulerDriver driver, String frameworkId, boolean reconnected) {
        log.info("driver dispatcher subscribed as framework {} in role {}", frameworkId, options.role());
        wantsOffers = true; // a new subscription gets offers until it suppresses
        driver.reconcile(List.of()); // the latest state of every driver task, after a failover above all
        act();
    }

    @Override
    public void offers(SchedulerDriver driver, List<Offer> offers) {
        List<RegistrySnapshot.SavedDriver> waiting = driverWork().map(StateReader.DriverWork::launch)
                .orElse(List.of());
        Set<String> placed = new HashSet<>();
        for (Offer offer : offers) {
            Resources left = offer.resources();
            List<TaskInfo> tasks = new ArrayList<>();
            for (RegistrySnapshot.SavedDriver d : waiting) {
                if (placed.contains(d.id())) {
                    continue;
                }
                Resources wanted = DriverCommand.resources(d.spec());
                if (!left.contains(wanted)) {
                    continue;
                }
                Optional<String> home = DriverCommand.sparkHome(d.spec(), options.sparkHome());
                String taskId = d.id() + "-" + (d.launches() + 1);
                if (home.isEmpty()) {
                    continue; // refused at submission; a driver restored from an older registry waits for one
                }
                Reply claim = await(new Command.ClaimDriver(d.id(), driver.frameworkId().orElse(FRAMEWORK_ID), taskId,
                        offer.agentId(), offer.hostname()));
                if (claim.isError()) {
                    log.debug("driver {} not launched: {}", d.id(), claim.error());
                    continue;
                }
                placed.add(d.id());
                left = left.minus(wanted);
                tasks.add(task(d.id(), taskId, d.spec(), home.get(), wanted, offer));
            }
            if (tasks.isEmpty()) {
                driver.decline(List.of(offer.id()), Filters.refuse(waiting.size() > placed.size() ? 1 : 5));
                continue;
            }
            log.info("launching drivers {} on agent {}", tasks.stream().map(TaskInfo::taskId).toList(),
                    offer.agentId());
            driver.launch(List.of(offer.id()), tasks, Filters.refuse(1)).exceptionally(e -> {
                for (TaskInfo t : tasks) {
                    await(new Command.UnclaimDriver(t.labels().get(SUBMISSION_LABEL), t.taskId(),
                            "the launch was refused: " + e.getMessage()));
                }
                wake();
                return null;
            });
        }
        if (waiting.size() <= placed.size()) {
            wake(); // nothing else waits: suppress
        }
    }

    private TaskInfo task(String driverId, String taskId, DriverSpec spec, String home, Resources resources,
                          Offer offer) {
        return new TaskInfo(taskId, "driver " + spec.appName(), offer.agentId(), resources,
                DriverCommand.build(spec, home, sparkMasterUrl, offer.hostname()), 10.0,
                Map.of(SUBMISSION_LABEL, driverId));
    }

    @Override
    public void update(SchedulerDriver driver, TaskStatus status) {
        Reply r = await(new Command.DriverTaskStatus(status));
        if (r.status() == 503) {
            throw new IllegalStateException("the core did not take the update: " + r.error()); // not acknowledged
        }
    }

    @Override
    public void error(SchedulerDriver driver, String message) {
        log.warn("driver dispatcher stopped by the master: {}", message);
    }

    private Reply await(Command c) {
        try {
            return core.apply(c).get(CORE_REPLY_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Reply(503, null, "interrupted");
        } catch (Exception e) {
            return new Reply(503, null, e.toString());
        }
    }

    /** Stops (leaving the framework and its drivers to the next leader's dispatcher). */
    @Override
    public void close() {
        work.shutdownNow();
        client.close();
    }
}
