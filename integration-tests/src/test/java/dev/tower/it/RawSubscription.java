package dev.tower.it;

import dev.tower.api.codec.Json;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Offer;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.api.scheduler.SchedulerEvent;
import dev.tower.api.sse.SseReader;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;

/**
 * A framework subscription made by hand with the JDK HttpClient: the SSE stream is read on a background thread and
 * its events recorded, so a test can take the stream id, framework id and offers and then send raw calls.
 */
public final class RawSubscription implements AutoCloseable {
    private final Cluster cluster;
    private final InputStream body;
    private final Thread reader;
    private final List<SchedulerEvent> events = new CopyOnWriteArrayList<>();
    private final List<String> unreadable = new CopyOnWriteArrayList<>();
    private volatile SchedulerEvent.Subscribed subscribed;

    private RawSubscription(Cluster cluster, InputStream body, String name) {
        this.cluster = cluster;
        this.body = body;
        this.reader = new Thread(this::read, "raw-subscription-" + name);
        this.reader.setDaemon(true);
        this.reader.start();
    }

    public static RawSubscription open(Cluster cluster, String name) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(cluster.uri("/api/v1/scheduler"))
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(
                        Json.write(new SchedulerCall.Subscribe(FrameworkInfo.named(name, "*")))))
                .build();
        HttpResponse<InputStream> response = cluster.httpClient().send(request, HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            String text = new String(response.body().readAllBytes());
            throw new AssertionError("SUBSCRIBE answered " + response.statusCode() + ": " + text);
        }
        RawSubscription s = new RawSubscription(cluster, response.body(), name);
        await("SUBSCRIBED for " + name).atMost(Duration.ofSeconds(10)).until(() -> s.subscribed != null);
        return s;
    }

    private void read() {
        try (SseReader sse = new SseReader(body)) {
            SseReader.Event e;
            while ((e = sse.next()) != null) {
                try {
                    SchedulerEvent event = Json.read(e.data(), SchedulerEvent.class);
                    events.add(event);
                    if (event instanceof SchedulerEvent.Subscribed s) {
                        subscribed = s;
                    }
                } catch (RuntimeException bad) {
                    unreadable.add(e.name() + ": " + e.data() + " (" + bad + ")");
                }
            }
        } catch (IOException closed) {
            // close() ends the stream
        }
    }

    public String streamId() {
        return subscribed.streamId();
    }

    public String frameworkId() {
        return subscribed.frameworkId();
    }

    /** The offers received so far and not rescinded. */
    public List<Offer> offers() {
        List<String> rescinded = events.stream().filter(e -> e instanceof SchedulerEvent.Rescind)
                .map(e -> ((SchedulerEvent.Rescind) e).offerId()).toList();
        return events.stream().filter(e -> e instanceof SchedulerEvent.Offers)
                .flatMap(e -> ((SchedulerEvent.Offers) e).offers().stream())
                .filter(o -> !rescinded.contains(o.id())).toList();
    }

    /** Waits for an offer and returns the latest one. */
    public Offer awaitOffer() {
        await("an offer").atMost(Duration.ofSeconds(15)).until(() -> !offers().isEmpty());
        List<Offer> all = offers();
        return all.get(all.size() - 1);
    }

    public List<String> unreadable() {
        return unreadable;
    }

    /** POSTs a raw call body to /api/v1/scheduler, with the given stream id header (none when null). */
    public HttpResponse<String> post(String streamId, String json) {
        HttpRequest.Builder b = HttpRequest.newBuilder(cluster.uri("/api/v1/scheduler"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (streamId != null) {
            b.header("Tower-Stream-Id", streamId);
        }
        return cluster.send(b.build());
    }

    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        reader.interrupt();
    }
}
