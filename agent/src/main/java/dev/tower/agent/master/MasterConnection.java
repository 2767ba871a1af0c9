package dev.tower.agent.master;

import dev.tower.agent.status.StatusUpdates;
import dev.tower.api.agent.AgentCall;
import dev.tower.api.agent.AgentEvent;
import dev.tower.api.client.CallSender;
import dev.tower.api.codec.BadInputException;
import dev.tower.api.codec.Json;
import dev.tower.api.detect.MasterDetector;
import dev.tower.api.detect.NoLeaderException;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.sse.SseReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import dev.tower.api.security.ClientSecurity;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The agent's subscription to the leading master: finds it (following {@code 307}s, skipping {@code 503}s and
 * refusals), holds the SSE event stream open, heartbeats, and re-subscribes with backoff whenever the stream ends,
 * fails, or falls silent for three heartbeat intervals. Status updates are POSTed on the current stream.
 *
 * <p>Failover: the connection remembers the highest leader epoch a SUBSCRIBED has carried and leaves a master that
 * subscribes it with a lower one (a deposed leader). With a detector that learns of leader changes ({@code zk://}),
 * a pause between attempts ends as soon as a new leader is published, and a stream held at a master that is no
 * longer the published leader is left at once rather than when its heartbeats are missed.
 */
public final class MasterConnection implements StatusUpdates.Sender, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MasterConnection.class);
    public static final String STREAM_ID_HEADER = "Tower-Stream-Id";
    static final String ENDPOINT = "/api/v1/agent";

    /** How patient the connection is; the defaults are the protocol's. */
    public record Timing(Duration initialBackoff, Duration maxBackoff, Duration subscribeTimeout) {
        public static final Timing DEFAULT = new Timing(Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofSeconds(10));
    }

    /** What the master tells the agent, besides SUBSCRIBED and HEARTBEAT which the connection handles itself. */
    public interface Listener {
        /** A (re-)subscription succeeded; in-flight status updates should be resent now. */
        void subscribed(String agentId);

        void event(AgentEvent event);
    }

    private record Session(URI endpoint, String streamId) {
    }

    private record StreamEnd(String reason) {
    }

    /** Why {@link #consume} returned; {@code logged} when it has said so itself. */
    private record Ended(String reason, boolean logged) {
    }

    /** Put on the current stream's queue by the detector's thread: the published leader changed. */
    private static final Object LEADER_CHANGED = new Object();

    private final MasterDetector detector;
    private final HttpClient http;
    private final CallSender calls;
    private final AgentIdFile idFile;
    private final Function<String, AgentCall.Subscribe> subscribeCall;
    private final Listener listener;
    private final ScheduledExecutorService timer;
    private final Timing timing;
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile String agentId;
    private volatile Session session;
    /** The highest leader epoch a SUBSCRIBED has carried; only the loop thread writes it. */
    private volatile long highestEpoch = Long.MIN_VALUE;
    /** The queue of the stream being consumed, where the detector's listener posts {@link #LEADER_CHANGED}. */
    private volatile BlockingQueue<Object> events;
    private AutoCloseable leaderWatch;
    private ScheduledFuture<?> heartbeats;
    private Thread loop;

    /**
     * @param subscribeCall builds the SUBSCRIBE call for the agent id known at the time (null before the first one),
     *                      fresh for each attempt so it reports the tasks as they are then
     */
    public MasterConnection(MasterDetector detector, HttpClient http, AgentIdFile idFile,
                            Function<String, AgentCall.Subscribe> subscribeCall, Listener listener,
                            ScheduledExecutorService timer, Timing timing) {
        this.detector = detector;
        this.http = http;
        this.calls = new CallSender(http, CallSender.DEFAULT_CONNECTIONS, "agent-master-calls");
        this.idFile = idFile;
        this.subscribeCall = subscribeCall;
        this.listener = listener;
        this.timer = timer;
        this.timing = timing;
        this.agentId = idFile.read().orElse(null);
    }

    public static HttpClient defaultHttpClient() {
        return defaultHttpClient(ClientSecurity.NONE);
    }

    /** With the agent's credential and the CA it trusts on every call to a master. */
    public static HttpClient defaultHttpClient(ClientSecurity security) {
        return security.client(HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(3)));
    }

    public synchronized void start() {
        if (loop != null) {
            return;
        }
        leaderWatch = detector.onLeaderChange(() -> {
            BlockingQueue<Object> q = events;
            if (q != null) {
                q.add(LEADER_CHANGED);
            }
        });
        loop = new Thread(this::run, "agent-master-connection");
        loop.setDaemon(true);
        loop.start();
    }

    public Optional<String> agentId() {
        return Optional.ofNullable(agentId);
    }

    /** Whether a stream is open and SUBSCRIBED was received on it. */
    public boolean isSubscribed() {
        return session != null;
    }

    @Override
    public boolean send(TaskStatus status) {
        return call(new AgentCall.Update(agentId, status));
    }

    @Override
    public void close() {
        closed.countDown();
        calls.close();
        Thread t;
        AutoCloseable watch;
        synchronized (this) {
            t = loop;
            watch = leaderWatch;
        }
        if (watch != null) {
            try {
                watch.close();
            } catch (Exception e) {
                LOG.debug("removing the leader listener: {}", e.toString());
            }
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private boolean isClosed() {
        return closed.getCount() == 0;
    }

    private void run() {
        Backoff backoff = new Backoff(timing.initialBackoff(), timing.maxBackoff(), ThreadLocalRandom.current());
        String loggedProblem = null;
        while (!isClosed()) {
            long changes = detector.leaderChanges();
            Object attempt = subscribe();
            if (attempt instanceof Opened opened) {
                loggedProblem = null;
                Ended end = consume(opened, backoff, changes);
                if (!isClosed() && !end.logged()) {
                    LOG.warn("lost the event stream of master {}: {}; re-subscribing", opened.endpoint, end.reason());
                }
            } else if (!isClosed()) {
                String problem = (String) attempt;
                // One line per outage (or per change of symptom), not one per attempt.
                if (!problem.equals(loggedProblem)) {
                    LOG.warn("cannot subscribe to a master ({}); retrying with backoff up to {} s",
                            problem, timing.maxBackoff().toSeconds());
                    loggedProblem = problem;
                }
            }
            try {
                // A new leader ends the pause early; close() interrupts it.
                if (isClosed()) {
                    break;
                }
                detector.awaitLeaderChange(changes, backoff.next());
            } catch (InterruptedException e) {
                if (isClosed()) {
                    break;
                }
            }
        }
    }

    private record Opened(URI endpoint, HttpResponse<InputStream> response) {
    }

    /** An {@link Opened} stream, or a one-line description of why no master took the subscription. */
    private Object subscribe() {
        List<URI> candidates;
        try {
            candidates = detector.candidates();
        } catch (NoLeaderException e) {
            return e.getMessage();
        }
        String body = Json.write(subscribeCall.apply(agentId));
        String problem = "no master address to try";
        for (URI base : candidates) {
            URI target = endpoint(base);
            for (int hop = 0; hop < 4 && !isClosed(); hop++) {
                HttpRequest req = HttpRequest.newBuilder(target)
                        .timeout(timing.subscribeTimeout())
                        .header("Content-Type", "application/json")
                        .header("Accept", "text/event-stream")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build();
                HttpResponse<InputStream> resp;
                try {
                    resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
                } catch (IOException e) {
                    problem = base.getAuthority() + ": " + describe(e);
                    break;
                } catch (InterruptedException e) {
                    return "closing";
                }
                int sc = resp.statusCode();
                if (sc == 200) {
                    detector.leaderSeen(base(target));
                    return new Opened(target, resp);
                }
                String text = drain(resp);
                if (sc == 307) {
                    Optional<String> location = resp.headers().firstValue("Location");
                    if (location.isEmpty()) {
                        problem = target.getAuthority() + ": 307 without a Location";
                        break;
                    }
                    target = endpoint(target.resolve(location.get()));
                    continue;
                }
                if (sc == 503) {
                    problem = target.getAuthority() + ": no leading master (503)";
                } else if (sc == 400) {
                    problem = target.getAuthority() + " rejected the subscription: " + errorOf(text);
                } else {
                    problem = target.getAuthority() + ": unexpected HTTP " + sc;
                }
                break;
            }
        }
        return problem;
    }

    /** Reads the stream until it ends, falls silent, or its master is deposed; returns why it ended. */
    private Ended consume(Opened opened, Backoff backoff, long changesBefore) {
        BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        InputStream body = opened.response.body();
        Thread reader = new Thread(() -> read(body, queue), "agent-master-stream");
        reader.setDaemon(true);
        reader.start();
        events = queue;
        if (detector.leaderChanges() != changesBefore) {
            queue.add(LEADER_CHANGED); // a change the listener could not post yet
        }
        Duration silence = timing.subscribeTimeout();
        long lastEvent = System.nanoTime();
        try {
            while (!isClosed()) {
                long left = silence.toNanos() - (System.nanoTime() - lastEvent);
                Object item = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
                if (item == null) {
                    return new Ended("no event for " + silence.toMillis() + " ms", false);
                }
                if (item == LEADER_CHANGED) {
                    String other = otherLeader(opened.endpoint);
                    if (other != null) {
                        LOG.warn("leaving master {}: {} is now the leading master", opened.endpoint.getAuthority(),
                                other);
                        return new Ended(other + " is now the leading master", true);
                    }
                    continue;
                }
                lastEvent = System.nanoTime();
                if (item instanceof StreamEnd end) {
                    return new Ended(end.reason, false);
                }
                AgentEvent event = (AgentEvent) item;
                if (event instanceof AgentEvent.Subscribed s) {
                    if (s.epoch() < highestEpoch) {
                        LOG.warn("master {} subscribed this agent at epoch {}, but epoch {} has already been seen: "
                                        + "it was deposed; looking for the leader again",
                                opened.endpoint.getAuthority(), s.epoch(), highestEpoch);
                        return new Ended("deposed", true);
                    }
                    highestEpoch = s.epoch();
                    double hb = s.heartbeatIntervalSeconds() > 0 ? s.heartbeatIntervalSeconds() : 15;
                    silence = Duration.ofMillis(Math.round(3 * hb * 1000) + 1000);
                    backoff.reset();
                    subscribed(opened.endpoint, s, Duration.ofMillis(Math.round(hb * 1000)));
                } else if (session == null) {
                    LOG.warn("master sent {} before SUBSCRIBED; ignoring it", Json.typeName(event));
                } else if (!(event instanceof AgentEvent.Heartbeat)) {
                    dispatch(event);
                }
            }
            return new Ended("closing", false);
        } catch (InterruptedException e) {
            return new Ended("closing", false);
        } finally {
            events = null;
            session = null;
            stopHeartbeats();
            try {
                body.close();
            } catch (IOException e) {
                LOG.debug("closing the event stream: {}", e.toString());
            }
            // The reader may be blocked in a read that closing does not wake; interruption does.
            reader.interrupt();
        }
    }

    /** The published leader's authority when it is not {@code endpoint}'s; null when it is, or none is known. */
    private String otherLeader(URI endpoint) {
        URI leader;
        try {
            leader = detector.candidates().get(0);
        } catch (RuntimeException noLeader) {
            return null; // while none is published the master may well still be serving
        }
        return leader.getRawAuthority().equals(endpoint.getRawAuthority()) ? null : leader.getAuthority();
    }

    private static void read(InputStream body, BlockingQueue<Object> queue) {
        try (SseReader sse = new SseReader(body)) {
            SseReader.Event e;
            while ((e = sse.next()) != null) {
                try {
                    queue.add(Json.read(e.data(), AgentEvent.class));
                } catch (BadInputException ex) {
                    LOG.warn("ignoring an undecodable '{}' event from the master: {}", e.name(), ex.getMessage());
                }
            }
            queue.add(new StreamEnd("the master ended the stream"));
        } catch (IOException ex) {
            queue.add(new StreamEnd(describe(ex)));
        }
    }

    private void subscribed(URI endpoint, AgentEvent.Subscribed s, Duration heartbeat) {
        if (s.agentId() != null && !s.agentId().equals(agentId)) {
            if (agentId != null) {
                LOG.warn("master assigned agent id {} instead of {}", s.agentId(), agentId);
            }
            idFile.write(s.agentId());
            agentId = s.agentId();
        }
        session = new Session(endpoint, s.streamId());
        LOG.info("subscribed to master {} as agent {} (stream {}, heartbeat every {} ms)",
                endpoint.getAuthority(), agentId, s.streamId(), heartbeat.toMillis());
        synchronized (this) {
            heartbeats = timer.scheduleAtFixedRate(() -> call(new AgentCall.Heartbeat(agentId)),
                    heartbeat.toMillis(), heartbeat.toMillis(), TimeUnit.MILLISECONDS);
        }
        listener.subscribed(agentId);
    }

    private synchronized void stopHeartbeats() {
        if (heartbeats != null) {
            heartbeats.cancel(false);
            heartbeats = null;
        }
    }

    private void dispatch(AgentEvent event) {
        try {
            listener.event(event);
        } catch (RuntimeException e) {
            // A bug in handling one event must not cost the agent its connection.
            LOG.error("failed to handle {} from the master", Json.typeName(event), e);
        }
    }

    /** POSTs a call on the current stream; false when there is none. The answer is not awaited. */
    private boolean call(AgentCall call) {
        Session s = session;
        if (s == null) {
            return false;
        }
        HttpRequest req = HttpRequest.newBuilder(s.endpoint)
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header(STREAM_ID_HEADER, s.streamId)
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.writeBytes(call)))
                .build();
        calls.send(req).whenComplete((resp, err) -> {
            if (err != null) {
                LOG.debug("{} call to {} failed: {}", Json.typeName(call), s.endpoint, err.toString());
            } else if (resp.statusCode() != 202) {
                LOG.debug("{} call to {} answered {}: {}", Json.typeName(call), s.endpoint, resp.statusCode(),
                        errorOf(resp.body()));
            }
        });
        return true;
    }

    private static URI endpoint(URI uri) {
        String path = uri.getPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            return base(uri).resolve(ENDPOINT);
        }
        return uri;
    }

    private static URI base(URI uri) {
        return URI.create(uri.getScheme() + "://" + uri.getRawAuthority());
    }

    private static String drain(HttpResponse<InputStream> resp) {
        try (InputStream in = resp.body()) {
            return new String(in.readNBytes(4096), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String errorOf(String body) {
        if (body == null || body.isBlank()) {
            return "(no body)";
        }
        try {
            Object error = Json.mapper().readValue(body, Map.class).get("error");
            return error != null ? error.toString() : body.strip();
        } catch (IOException | RuntimeException e) {
            return body.strip();
        }
    }

    private static String describe(IOException e) {
        if (e instanceof ConnectException) {
            return "connection refused";
        }
        if (e instanceof HttpTimeoutException) {
            return "timed out";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
