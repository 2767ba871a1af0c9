package dev.tower.api.client;

import dev.tower.api.codec.BadInputException;
import dev.tower.api.codec.Json;
import dev.tower.api.detect.MasterDetector;
import dev.tower.api.security.ClientSecurity;
import dev.tower.api.events.ClusterEventView;
import dev.tower.api.events.EventFilter;
import dev.tower.api.events.EventSource;
import dev.tower.api.events.EventStreamControl;
import dev.tower.api.sse.SseReader;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The leading master's live events stream, {@code GET /api/v1/events}, followed across failovers: it finds the
 * leader as every client does (the detector's candidates, {@code 307}s, {@code 503}s), reads the stream, and when the
 * stream ends (the master stopped leading, or dropped a consumer that fell behind), breaks, or stays silent for three
 * heartbeats, it finds the leader again and reconnects, at once when a ZooKeeper detector learns of a new leader.
 * There is no replay: events published while no stream was open are not seen (Kafka keeps them).
 */
public final class MasterEventSource implements EventSource {
    static final String PATH = "/api/v1/events";
    private static final int MISSED_HEARTBEATS = 3;
    private static final Duration SILENCE_SLACK = Duration.ofSeconds(2);

    private final MasterDetector detector;
    private final LeadingMaster masters;
    private final Duration requestTimeout;
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tower-events-watchdog");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;
    private volatile Open current;
    private volatile Thread follower;

    /** One open stream, and when it last showed a sign of life. */
    private static final class Open {
        final URI master;
        final InputStream body;
        volatile long lastNanos = System.nanoTime();
        /** Until SUBSCRIBED tells the heartbeat interval, the request timeout; null for no limit. */
        volatile Duration silenceLimit;

        Open(URI master, InputStream body, Duration silenceLimit) {
            this.master = master;
            this.body = body;
            this.silenceLimit = silenceLimit;
        }

        /** Makes a read blocked on the stream fail at once. */
        void close() {
            try {
                body.close();
            } catch (IOException ignored) {
                // gone already
            }
        }
    }

    /** The caller keeps {@code detector} and closes it after this source. */
    public MasterEventSource(MasterDetector detector) {
        this(detector, ClientSecurity.fromEnvironment());
    }

    /** The caller keeps {@code detector}; {@code security} is the credential and CA to call masters with. */
    public MasterEventSource(MasterDetector detector, ClientSecurity security) {
        this(detector, LeadingMaster.defaultHttpClient(MasterHttp.DEFAULT_TIMEOUT, security), MasterHttp.DEFAULT_TIMEOUT);
    }

    /** @param requestTimeout how long to wait for a master to answer, and for SUBSCRIBED on a new stream */
    public MasterEventSource(MasterDetector detector, HttpClient http, Duration requestTimeout) {
        this.detector = detector;
        this.masters = new LeadingMaster(detector, http);
        this.requestTimeout = requestTimeout;
    }

    @Override
    public void follow(EventFilter filter, Listener listener) throws InterruptedException {
        follower = Thread.currentThread();
        try {
            run(filter, listener);
        } catch (InterruptedException e) {
            if (!closed) {
                throw e;
            }
            Thread.interrupted(); // close() interrupted us to end a pause: not the caller's interrupt
        } finally {
            follower = null;
        }
    }

    private void run(EventFilter filter, Listener listener) throws InterruptedException {
        Backoff backoff = new Backoff();
        String lastProblem = null;
        AutoCloseable leaderWatch = detector.onLeaderChange(this::leaderChanged);
        try {
            while (!closed) {
                long changes = detector.leaderChanges();
                try {
                    Open open = open(filter);
                    lastProblem = null;
                    if (read(open, listener)) {
                        backoff.reset();
                    }
                } catch (MasterUnavailableException e) {
                    if (!closed && !e.getMessage().equals(lastProblem)) {
                        listener.notice(e.getMessage() + "; retrying");
                        lastProblem = e.getMessage();
                    }
                } catch (CallRejectedException e) {
                    if (e.status() == 400) {
                        throw new IllegalArgumentException(e.getMessage(), e);
                    }
                    if (e.status() / 100 == 4 && e.status() != 429) { // 429: too many streams now, maybe not later
                        throw new IllegalStateException("the leading master refused the events stream (HTTP "
                                + e.status() + "): " + e.getMessage()
                                + (e.status() == 404 ? " (a master older than GET " + PATH + "?)" : ""), e);
                    }
                    String problem = "the master answered " + e.status() + ": " + e.getMessage();
                    if (!problem.equals(lastProblem)) {
                        listener.notice(problem + "; retrying");
                        lastProblem = problem;
                    }
                }
                if (!closed) {
                    detector.awaitLeaderChange(changes, backoff.next());
                }
            }
        } finally {
            try {
                leaderWatch.close();
            } catch (Exception ignored) {
                // nothing to undo
            }
        }
    }

    private Open open(EventFilter filter) throws InterruptedException {
        LeadingMaster.Reply reply = masters.send(PATH + filter.query(), uri -> HttpRequest.newBuilder(uri)
                .timeout(requestTimeout)
                .header("Accept", "text/event-stream")
                .GET()
                .build());
        Open open = new Open(reply.master(), reply.response().body(), requestTimeout);
        current = open;
        if (closed) {
            open.close();
        }
        watch(open);
        return open;
    }

    /** Reads one stream to its end; true if the master had subscribed us (a good connection, worth a reset). */
    private boolean read(Open open, Listener listener) {
        boolean subscribed = false;
        boolean told = false;
        try (SseReader sse = new SseReader(open.body)) {
            SseReader.Event e;
            while ((e = sse.next()) != null) {
                open.lastNanos = System.nanoTime();
                if (!EventStreamControl.isControl(e.name())) {
                    ClusterEventView event;
                    try {
                        event = Json.read(e.data(), ClusterEventView.class);
                    } catch (BadInputException bad) {
                        listener.notice("skipping an undecodable " + e.name() + " event: " + bad.getMessage());
                        continue;
                    }
                    listener.event(event);
                    continue;
                }
                EventStreamControl control;
                try {
                    control = Json.read(e.data(), EventStreamControl.class);
                } catch (BadInputException bad) {
                    continue;
                }
                if (control instanceof EventStreamControl.Subscribed s) {
                    subscribed = true;
                    open.silenceLimit = s.heartbeatIntervalSeconds() > 0
                            ? Duration.ofMillis(Math.round(s.heartbeatIntervalSeconds() * 1000 * MISSED_HEARTBEATS))
                            .plus(SILENCE_SLACK) : null;
                    listener.notice("following the events of master " + s.address() + " (epoch " + s.epoch() + ")");
                } else if (control instanceof EventStreamControl.Error err) {
                    // The master says why it ends the stream (and that it names itself).
                    listener.notice(err.message());
                    told = true;
                }
            }
            if (!closed && !told) {
                listener.notice("the stream from master " + open.master.getAuthority() + " ended; reconnecting");
            }
        } catch (IOException e) {
            if (!closed) {
                listener.notice("the stream from master " + open.master.getAuthority() + " was lost ("
                        + LeadingMaster.describe(e) + "); reconnecting");
            }
        } finally {
            open.close();
            current = null;
        }
        return subscribed;
    }

    /** Closes a stream silent for longer than its limit: a master that died without closing its connections. */
    private void watch(Open open) {
        if (closed || current != open) {
            return;
        }
        Duration limit = open.silenceLimit;
        long next = 1_000_000_000L;
        if (limit != null) {
            long left = limit.toNanos() - (System.nanoTime() - open.lastNanos);
            if (left <= 0) {
                open.close();
                return;
            }
            next = Math.min(next, left);
        }
        try {
            watchdog.schedule(() -> watch(open), next, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // closed
        }
    }

    /** On the detector's thread: leave a master that is no longer the leader at once (ZooKeeper detectors). */
    private void leaderChanged() {
        Open open = current;
        if (open == null) {
            return;
        }
        List<URI> candidates;
        try {
            candidates = detector.candidates();
        } catch (RuntimeException noLeader) {
            return; // it may well still be serving
        }
        if (!candidates.get(0).getRawAuthority().equals(open.master.getRawAuthority())) {
            open.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        Open open = current;
        if (open != null) {
            open.close();
        }
        Thread t = follower;
        if (t != null && t != Thread.currentThread()) {
            t.interrupt(); // ends a pause between attempts
        }
        watchdog.shutdownNow();
    }
}
