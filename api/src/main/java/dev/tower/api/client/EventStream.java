package dev.tower.api.client;

import dev.tower.api.codec.BadInputException;
import dev.tower.api.codec.Json;
import dev.tower.api.scheduler.SchedulerEvent;
import dev.tower.api.sse.SseReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;

/**
 * One open SUBSCRIBE response, read on the stream thread and closed from any thread. It remembers when an event last
 * arrived, so a watchdog can tell a dead connection from a quiet one.
 */
final class EventStream implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventStream.class);

    private final URI master;
    private final InputStream body;
    private final SseReader reader;
    private volatile long lastEventNanos = System.nanoTime();
    private volatile Duration silenceLimit;
    private volatile boolean closed;
    /** The pending silence check; replaced under the stream's monitor by whoever re-arms it. */
    private ScheduledFuture<?> check;

    EventStream(URI master, InputStream body, Duration silenceLimit) {
        this.master = master;
        this.body = body;
        this.reader = new SseReader(body);
        this.silenceLimit = silenceLimit;
    }

    URI master() {
        return master;
    }

    /** The next decodable event, or null when the master ended the stream. */
    SchedulerEvent next() throws IOException {
        while (true) {
            SseReader.Event event = reader.next();
            if (event == null) {
                return null;
            }
            lastEventNanos = System.nanoTime();
            try {
                return Json.read(event.data(), SchedulerEvent.class);
            } catch (BadInputException e) {
                // A newer master may send events this client does not know; skipping them keeps the stream usable.
                log.warn("ignoring undecodable {} event from {}: {}", event.name(), master, e.getMessage());
            }
        }
    }

    long lastEventNanos() {
        return lastEventNanos;
    }

    /** How long the stream may stay silent before it is considered dead; null for no limit. */
    Duration silenceLimit() {
        return silenceLimit;
    }

    void silenceLimit(Duration limit) {
        silenceLimit = limit;
    }

    void check(ScheduledFuture<?> next) {
        check = next;
    }

    void cancelCheck() {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * Closes the response body, which makes a read blocked on the stream thread fail at once. Not
     * {@code reader.close()}: a BufferedReader closes under the lock that its blocked readLine holds.
     */
    @Override
    public void close() {
        closed = true;
        try {
            body.close();
        } catch (IOException e) {
            log.debug("closing the stream from {}: {}", master, e.toString());
        }
    }
}
