package dev.tower.api.client;

import dev.tower.api.codec.Json;
import dev.tower.api.detect.MasterDetector;
import dev.tower.api.security.ClientSecurity;
import dev.tower.api.detect.MasterUrls;
import dev.tower.api.model.Filters;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.scheduler.Operation;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.api.scheduler.SchedulerEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A framework's connection to the master: subscribes, keeps the subscription alive across lost streams and master
 * failovers, delivers events to a {@link Scheduler} and sends its calls.
 *
 * <p>Three daemon threads: {@code tower-scheduler-stream-*} reads the event stream and re-subscribes,
 * {@code tower-scheduler-events-*} runs every callback in stream order, {@code tower-scheduler-watchdog-*} closes a
 * stream that has missed its heartbeats. {@link #close()} stops them without ending the framework, which the master
 * keeps for its failover timeout; {@link #teardown()} ends the framework.
 *
 * <p>Failover: the client remembers the highest leader epoch a SUBSCRIBED has carried and leaves a master that
 * subscribes it with a lower one (a deposed leader). With a detector that learns of leader changes (ZooKeeper), a
 * pause between attempts ends as soon as a new leader is published, and a stream held at a master that is no
 * longer the published leader is closed at once rather than when its heartbeats are missed.
 */
public final class SchedulerClient implements SchedulerDriver, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SchedulerClient.class);

    static final String PATH = "/api/v1/scheduler";
    static final String STREAM_ID_HEADER = "Tower-Stream-Id";
    /** Slack on top of the heartbeat allowance, for GC pauses and a busy master. */
    private static final Duration SILENCE_SLACK = Duration.ofSeconds(1);

    private final MasterDetector detector;
    private final boolean ownsDetector;
    private final HttpClient http;
    private final CallSender sender;
    private final LeadingMaster masters;
    private final FrameworkInfo framework;
    private final Scheduler scheduler;
    private final int missedHeartbeats;
    private final boolean autoAcknowledge;
    private final Duration requestTimeout;
    private final Duration initialBackoff;
    private final Duration maxBackoff;

    private final Thread streamThread;
    private final ExecutorService callbacks;
    private final ScheduledExecutorService watchdog;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private final Object subscriptionChanged = new Object();

    private volatile String frameworkId;
    private volatile Subscription subscription;
    private volatile EventStream current;
    /** close() was called: stop now, deliver nothing more. */
    private volatile boolean closed;
    /** The framework is over (ERROR event, teardown, subscription refused): never subscribe again. */
    private volatile boolean finished;
    /** Only touched by the stream thread. */
    private boolean everSubscribed;
    /**
     * The highest leader epoch a SUBSCRIBED has carried; a master offering a lower one has been deposed. Written by
     * the stream thread only.
     */
    private volatile long highestEpoch = Long.MIN_VALUE;
    /** Removes the detector listener that leaves a master once another one is published as leader. */
    private volatile AutoCloseable leaderWatch;

    private SchedulerClient(Builder b) {
        this.detector = b.detector;
        this.ownsDetector = b.ownsDetector;
        this.http = b.http != null ? b.http : LeadingMaster.defaultHttpClient(b.connectTimeout,
                b.security != null ? b.security : ClientSecurity.fromEnvironment());
        this.masters = new LeadingMaster(detector, http);
        this.framework = b.framework;
        this.sender = new CallSender(http, CallSender.DEFAULT_CONNECTIONS,
                "tower-scheduler-calls-" + (framework.name() == null ? "framework" : framework.name()));
        this.scheduler = b.scheduler;
        this.missedHeartbeats = b.missedHeartbeats;
        this.autoAcknowledge = b.autoAcknowledge;
        this.requestTimeout = b.requestTimeout;
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.frameworkId = framework.id();
        String name = framework.name() == null ? "framework" : framework.name();
        this.streamThread = daemon("tower-scheduler-stream-" + name).newThread(this::run);
        this.callbacks = Executors.newSingleThreadExecutor(daemon("tower-scheduler-events-" + name));
        this.watchdog = Executors.newSingleThreadScheduledExecutor(daemon("tower-scheduler-watchdog-" + name));
    }

    public static Builder builder(MasterDetector detector, FrameworkInfo framework, Scheduler scheduler) {
        return new Builder(detector, false, framework, scheduler);
    }

    /**
     * For {@code host:port[,host:port]} or {@code zk://host:port[,host:port]/path}; the client owns the detector it
     * builds and closes it with itself.
     */
    public static Builder builder(String masterUrl, FrameworkInfo framework, Scheduler scheduler) {
        return new Builder(MasterUrls.detector(masterUrl), true, framework, scheduler);
    }

    /** Begins subscribing in the background; returns at once. */
    public SchedulerClient start() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("already started");
        }
        leaderWatch = detector.onLeaderChange(this::leaderChanged);
        streamThread.start();
        return this;
    }

    /**
     * Waits until the client is subscribed. Returns false on timeout, or at once when the client has stopped
     * (closed, torn down, or ended by the master).
     */
    public boolean awaitSubscribed(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (subscriptionChanged) {
            while (subscription == null && !closed && !finished) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(subscriptionChanged, left);
            }
            return subscription != null;
        }
    }

    /** Whether a subscription is live now, so calls can be made. */
    public boolean isSubscribed() {
        return subscription != null;
    }

    /**
     * Completes when the client has stopped for good and its last callback has returned: after {@link #close()},
     * {@link #teardown()}, an ERROR event, or a refused subscription.
     */
    public CompletionStage<Void> terminated() {
        return terminated.minimalCompletionStage();
    }

    @Override
    public Optional<String> frameworkId() {
        return Optional.ofNullable(frameworkId);
    }

    @Override
    public CompletableFuture<Void> launch(List<String> offerIds, List<TaskInfo> tasks, Filters filters) {
        return call(id -> SchedulerCall.Accept.launch(id, offerIds, tasks, filters));
    }

    @Override
    public CompletableFuture<Void> accept(List<String> offerIds, List<Operation> operations, Filters filters) {
        return call(id -> new SchedulerCall.Accept(id, offerIds, operations, filters));
    }

    @Override
    public CompletableFuture<Void> decline(List<String> offerIds, Filters filters) {
        return call(id -> new SchedulerCall.Decline(id, offerIds, filters));
    }

    @Override
    public CompletableFuture<Void> kill(String taskId, String agentId) {
        return call(id -> new SchedulerCall.Kill(id, taskId, agentId));
    }

    @Override
    public CompletableFuture<Void> acknowledge(TaskStatus status) {
        if (!status.needsAck()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "update of task " + status.taskId() + " has no uuid: there is nothing to acknowledge"));
        }
        return call(id -> new SchedulerCall.Acknowledge(id, status.agentId(), status.taskId(), status.uuid()));
    }

    @Override
    public CompletableFuture<Void> reconcile(List<SchedulerCall.Reconcile.TaskRef> tasks) {
        return call(id -> new SchedulerCall.Reconcile(id, tasks));
    }

    @Override
    public CompletableFuture<Void> revive() {
        return call(SchedulerCall.Revive::new);
    }

    @Override
    public CompletableFuture<Void> suppress() {
        return call(SchedulerCall.Suppress::new);
    }

    @Override
    public CompletableFuture<Void> teardown() {
        Subscription s = subscription;
        if (s == null) {
            return notSubscribed();
        }
        // Set before sending: the master ends the stream when it removes the framework, possibly before its 202
        // arrives, and that end must not look like a lost stream to re-subscribe from.
        finished = true;
        log.info("framework {}: tearing down", s.frameworkId());
        CompletableFuture<Void> sent = send(s, new SchedulerCall.Teardown(s.frameworkId()));
        sent.whenComplete((ok, error) -> close());
        return sent;
    }

    /**
     * Stops the client: closes the stream, delivers no further callbacks. Does not tear the framework down; the
     * master keeps it (and its tasks) for its failover timeout, so another process may re-subscribe with its id.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        setSubscription(null);
        EventStream s = current;
        if (s != null) {
            s.close();
        }
        if (started.get()) {
            // Wakes a subscribe request still waiting for the master's headers.
            streamThread.interrupt();
        } else {
            shutDown();
        }
    }

    private CompletableFuture<Void> call(Function<String, SchedulerCall> make) {
        Subscription s = subscription;
        if (s == null) {
            return notSubscribed();
        }
        return send(s, make.apply(s.frameworkId()));
    }

    private static CompletableFuture<Void> notSubscribed() {
        return CompletableFuture.failedFuture(new IllegalStateException("not subscribed"));
    }

    /**
     * Sends to the master that holds the stream, without following redirects: the stream id means nothing to any
     * other master, and a master that lost leadership ends the stream, which leads to a new subscription.
     */
    private CompletableFuture<Void> send(Subscription s, SchedulerCall call) {
        HttpRequest request = HttpRequest.newBuilder(s.master().resolve(PATH))
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header(STREAM_ID_HEADER, s.streamId())
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.writeBytes(call)))
                .build();
        CompletableFuture<Void> result = new CompletableFuture<>();
        sender.send(request).whenComplete((response, error) -> {
            if (error != null) {
                result.completeExceptionally(error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error);
            } else if (response.statusCode() / 100 == 2) {
                result.complete(null);
            } else {
                result.completeExceptionally(CallRejectedException.fromReply(response.statusCode(), response.body()));
            }
        });
        return result;
    }

    // ---- the stream thread ----

    private boolean running() {
        return !closed && !finished;
    }

    private void run() {
        Backoff backoff = new Backoff(initialBackoff, maxBackoff);
        String lastProblem = null;
        try {
            while (running()) {
                long changes = detector.leaderChanges();
                try {
                    EventStream stream = open();
                    lastProblem = null;
                    follow(stream, backoff, changes);
                } catch (MasterUnavailableException e) {
                    // One line per outage (or change of symptom), not one per attempt.
                    if (running() && !e.getMessage().equals(lastProblem)) {
                        log.info("framework {}: {}; retrying", describeId(), e.getMessage());
                        lastProblem = e.getMessage();
                    }
                } catch (CallRejectedException e) {
                    if (e.status() / 100 == 4) {
                        // The master will give the same answer to the same subscription: retrying would hide it.
                        log.warn("framework {}: subscription refused ({}): {}", describeId(), e.status(), e.getMessage());
                        finished = true;
                        deliver("error", () -> scheduler.error(this, e.getMessage()));
                    } else {
                        log.info("framework {}: subscription failed ({}): {}", describeId(), e.status(), e.getMessage());
                    }
                } catch (IOException e) {
                    if (running()) {
                        log.info("framework {}: event stream lost: {}", describeId(), LeadingMaster.describe(e));
                    }
                }
                // A new leader ends the pause early; close() interrupts it.
                if (running()) {
                    detector.awaitLeaderChange(changes, backoff.next());
                }
            }
        } catch (InterruptedException e) {
            // close() interrupts to stop us; nothing else owns this thread.
        } catch (RuntimeException e) {
            log.error("framework {}: scheduler client stopped by an unexpected error", describeId(), e);
            finished = true;
        } finally {
            setSubscription(null);
            shutDown();
        }
    }

    private EventStream open() throws InterruptedException {
        FrameworkInfo info = framework.withId(frameworkId);
        byte[] body = Json.writeBytes(new SchedulerCall.Subscribe(info));
        LeadingMaster.Reply reply = masters.send(PATH, uri -> HttpRequest.newBuilder(uri)
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build());
        // Until SUBSCRIBED arrives the heartbeat interval is unknown; the request timeout bounds the wait for it.
        EventStream stream = new EventStream(reply.master(), reply.response().body(), requestTimeout);
        watch(stream);
        return stream;
    }

    private void follow(EventStream stream, Backoff backoff, long changesBefore) throws IOException {
        current = stream;
        if (closed) {
            stream.close();
            return;
        }
        if (detector.leaderChanges() != changesBefore) {
            leaderChanged(); // a change that came before the listener could see this stream
        }
        boolean subscribed = false;
        try {
            SchedulerEvent event;
            while ((event = stream.next()) != null) {
                if (event instanceof SchedulerEvent.Subscribed s) {
                    if (subscribed) {
                        continue; // one per stream; a repeat changes nothing
                    }
                    if (s.epoch() < highestEpoch) {
                        log.warn("framework {}: ignoring master {}: it subscribed us at epoch {}, but epoch {} has "
                                        + "already been seen, so it was deposed; looking for the leader again",
                                describeId(), stream.master().getAuthority(), s.epoch(), highestEpoch);
                        return;
                    }
                    highestEpoch = s.epoch();
                    subscribed = true;
                    backoff.reset();
                    subscribed(stream, s);
                } else if (event instanceof SchedulerEvent.Error e) {
                    log.warn("framework {}: ended by the master: {}", describeId(), e.message());
                    finished = true;
                    deliver("error", () -> scheduler.error(this, e.message()));
                    return;
                } else if (!subscribed) {
                    log.warn("framework {}: ignoring {} before SUBSCRIBED", describeId(), Json.typeName(event));
                } else {
                    dispatch(event);
                }
            }
            if (running()) {
                log.info("framework {}: master {} ended the event stream", describeId(), stream.master());
            }
        } finally {
            stream.close();
            current = null;
            if (subscribed) {
                setSubscription(null);
                if (running()) {
                    deliver("disconnected", () -> scheduler.disconnected(this));
                }
            }
        }
    }

    private void subscribed(EventStream stream, SchedulerEvent.Subscribed s) {
        boolean reconnected = everSubscribed;
        everSubscribed = true;
        frameworkId = s.frameworkId();
        double interval = s.heartbeatIntervalSeconds();
        stream.silenceLimit(interval > 0
                ? Duration.ofMillis(Math.round(interval * 1000 * missedHeartbeats)).plus(SILENCE_SLACK)
                : null);
        watch(stream);
        setSubscription(new Subscription(stream.master(), s.frameworkId(), s.streamId()));
        log.info("framework {}: {} at {} (stream {})", s.frameworkId(), reconnected ? "re-subscribed" : "subscribed",
                stream.master(), s.streamId());
        deliver("subscribed", () -> scheduler.subscribed(this, s.frameworkId(), reconnected));
    }

    private void dispatch(SchedulerEvent event) {
        if (event instanceof SchedulerEvent.Offers o) {
            deliver("offers", () -> scheduler.offers(this, o.offers()));
        } else if (event instanceof SchedulerEvent.Rescind r) {
            deliver("rescinded", () -> scheduler.rescinded(this, r.offerId()));
        } else if (event instanceof SchedulerEvent.Update u) {
            deliver("update", () -> {
                scheduler.update(this, u.status());
                if (autoAcknowledge && u.status().needsAck()) {
                    acknowledgeQuietly(u.status());
                }
            });
        } else if (event instanceof SchedulerEvent.Failure f) {
            deliver("agentLost", () -> scheduler.agentLost(this, f.agentId()));
        }
        // SUBSCRIBED and ERROR are handled by follow(); a HEARTBEAT only proves the stream alive.
    }

    /** A failed acknowledgement is harmless: the master sends the update again until one gets through. */
    private void acknowledgeQuietly(TaskStatus status) {
        acknowledge(status).whenComplete((ok, error) -> {
            if (error != null) {
                log.info("framework {}: acknowledgement of task {} update {} failed, the master will resend it: {}",
                        describeId(), status.taskId(), status.uuid(), LeadingMaster.describe(error));
            }
        });
    }

    /** Queues a callback on the event thread; stream order is queue order. */
    private void deliver(String what, Runnable callback) {
        try {
            callbacks.execute(() -> {
                if (closed) {
                    return;
                }
                try {
                    callback.run();
                } catch (RuntimeException e) {
                    log.warn("framework {}: scheduler callback {} threw", describeId(), what, e);
                }
            });
        } catch (RejectedExecutionException stopped) {
            // the client has stopped; nothing is delivered after that
        }
    }

    // ---- the watchdog ----

    /**
     * (Re-)arms the stream's silence check. One check per stream is pending at a time; re-arming replaces it, so a
     * limit shortened by SUBSCRIBED takes effect at once.
     */
    private void watch(EventStream stream) {
        synchronized (stream) {
            stream.cancelCheck();
            Duration limit = stream.silenceLimit();
            if (stream.isClosed() || limit == null) {
                return;
            }
            long left = limit.toNanos() - (System.nanoTime() - stream.lastEventNanos());
            if (left <= 0) {
                log.info("framework {}: nothing from {} for {} ms, closing the stream", describeId(), stream.master(),
                        limit.toMillis());
                stream.close();
                return;
            }
            try {
                stream.check(watchdog.schedule(() -> watch(stream), left, TimeUnit.NANOSECONDS));
            } catch (RejectedExecutionException stopped) {
                // the client has stopped
            }
        }
    }

    // ---- state ----

    private void setSubscription(Subscription s) {
        synchronized (subscriptionChanged) {
            subscription = s;
            subscriptionChanged.notifyAll();
        }
    }

    /**
     * On the detector's thread: a stream held at a master that the detector no longer names as leader is closed, so
     * that the client moves to the new leader now rather than when the old one's heartbeats are missed. Nothing is
     * done while no leader is known: the master may well still be serving.
     */
    private void leaderChanged() {
        EventStream s = current;
        if (s == null || !running()) {
            return;
        }
        URI leader;
        try {
            leader = detector.candidates().get(0);
        } catch (RuntimeException noLeader) {
            return;
        }
        if (!leader.getRawAuthority().equals(s.master().getRawAuthority())) {
            log.info("framework {}: {} is now the leading master; leaving {}", describeId(), leader.getAuthority(),
                    s.master().getAuthority());
            s.close();
        }
    }

    /** Runs once, when the client stops for good. */
    private void shutDown() {
        synchronized (subscriptionChanged) {
            subscriptionChanged.notifyAll();
        }
        AutoCloseable watch = leaderWatch;
        if (watch != null) {
            try {
                watch.close();
            } catch (Exception e) {
                log.debug("removing the leader listener: {}", e.toString());
            }
        }
        watchdog.shutdownNow();
        sender.close();
        try {
            callbacks.execute(() -> terminated.complete(null));
        } catch (RejectedExecutionException alreadyStopped) {
            terminated.complete(null);
        }
        callbacks.shutdown();
        if (ownsDetector) {
            detector.close();
        }
    }

    private String describeId() {
        String id = frameworkId;
        return id != null ? id : "'" + framework.name() + "' (no id yet)";
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Options of a {@link SchedulerClient}; only the master, framework and scheduler are required. */
    public static final class Builder {
        private final MasterDetector detector;
        private final boolean ownsDetector;
        private final FrameworkInfo framework;
        private final Scheduler scheduler;
        private int missedHeartbeats = 3;
        private boolean autoAcknowledge = true;
        private HttpClient http;
        private ClientSecurity security;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(10);
        private Duration initialBackoff = Backoff.INITIAL;
        private Duration maxBackoff = Backoff.MAX;

        private Builder(MasterDetector detector, boolean ownsDetector, FrameworkInfo framework, Scheduler scheduler) {
            this.detector = Objects.requireNonNull(detector, "detector");
            this.ownsDetector = ownsDetector;
            this.framework = Objects.requireNonNull(framework, "framework");
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        }

        /** Heartbeats that may be missed before the stream is considered dead and re-opened; default 3. */
        public Builder missedHeartbeats(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("missedHeartbeats must be at least 1, got " + n);
            }
            this.missedHeartbeats = n;
            return this;
        }

        /** Acknowledge each update once {@link Scheduler#update} returns normally; default true. */
        public Builder autoAcknowledge(boolean on) {
            this.autoAcknowledge = on;
            return this;
        }

        /**
         * The HTTP client to use instead of the client's own (HTTP/1.1, no redirects); {@link #connectTimeout} then
         * has no effect. It should not follow redirects: the client follows a 307 itself and tells the detector.
         */
        /**
         * The credential and CA to call masters with; by default those the environment names
         * ({@link ClientSecurity#fromEnvironment()}). Ignored with {@link #httpClient}.
         */
        public Builder security(ClientSecurity s) {
            this.security = Objects.requireNonNull(s, "security");
            return this;
        }

        public Builder httpClient(HttpClient client) {
            this.http = Objects.requireNonNull(client, "client");
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** Bounds each call, the wait for a subscription's reply headers, and then for its SUBSCRIBED; default 10 s. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** Pauses between attempts to subscribe, for tests; by default from 100 ms doubling up to 5 s. */
        Builder backoff(Duration initial, Duration max) {
            this.initialBackoff = Objects.requireNonNull(initial, "initial");
            this.maxBackoff = Objects.requireNonNull(max, "max");
            return this;
        }

        public SchedulerClient build() {
            return new SchedulerClient(this);
        }
    }
}
