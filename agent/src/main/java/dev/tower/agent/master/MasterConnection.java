package dev.tower.agent.master;

import dev.tower.agent.status.StatusUpdates;
import dev.tower.api.agent.AgentCall;
import dev.tower.api.agent.AgentEvent;
import dev.tower.api.client.CallSender;
import dev.tower.api.codec.BadInputException;
import dev.tower.api.codec.Json;
import dev.tower.api.detect.MasterDetector;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.sse.SseReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(3))
                .build();
    }

    public synchronized void start() {
        if (loop != null) {
            return;
        }
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
        synchronized (this) {
            t = loop;
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
            Object attempt = subscribe();
            if (attempt instanceof Opened opened) {
                loggedProblem = null;
                String reason = consume(opened, backoff);
                if (!isClosed()) {
                    LOG.warn("lost the event stream of master {}: {}; re-subscribing", opened.endpoint, reason);
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
                if (closed.await(backoff.next().toMillis(), TimeUnit.MILLISECONDS)) {
                    break;
                }
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
        String body = Json.write(subscribeCall.apply(agentId));
        String problem = "no master address to try";
        for (URI base : detector.candidates()) {
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

    /** Reads the stream until it ends or falls silent; returns why it ended. */
    private String consume(Opened opened, Backoff backoff) {
        BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        InputStream body = opened.response.body();
        Thread reader = new Thread(() -> read(body, queue), "agent-master-stream");
        reader.setDaemon(true);
        reader.start();
        Duration silence = timing.subscribeTimeout();
        try {
            while (!isClosed()) {
                Object item = queue.poll(silence.toMillis(), TimeUnit.MILLISECONDS);
                if (item == null) {
                    return "no event for " + silence.toMillis() + " ms";
                }
                if (item instanceof StreamEnd end) {
                    return end.reason;
                }
                AgentEvent event = (AgentEvent) item;
                if (event instanceof AgentEvent.Subscribed s) {
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
            return "closing";
        } catch (InterruptedException e) {
            return "closing";
        } finally {
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
