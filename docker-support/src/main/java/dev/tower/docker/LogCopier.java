package dev.tower.docker;

import com.github.dockerjava.transport.DockerHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Copies a container's stdout and stderr, as its engine logged them, to {@code stdout} and {@code stderr} in the task's
 * sandbox, so a container task's output is where a process task's is.
 *
 * <p>The logs are read from the engine's API with a timestamp on every message, and the copier remembers, for each
 * stream, the timestamp of the last message it wrote and how many messages with that very timestamp it wrote (the
 * parts of a line too long for one message share one). That position is kept in the task's checkpoint directory
 * (written within {@link #SAVE_DELAY} of a write, and at once when the copier stops), and a copier started on the same
 * directory later, by a restarted agent, asks for the logs since then and skips what was written already: a container
 * that went on writing, or ended, while the agent was down loses nothing, and at most the last {@link #SAVE_DELAY} of
 * output is written twice after an agent that was killed outright.
 *
 * <p>The stream is read with docker-java's raw HTTP client rather than its log command, which cuts messages into
 * pieces of 1 KiB and so loses where each (and its timestamp) begins.
 */
final class LogCopier {
    private static final Logger LOG = LoggerFactory.getLogger(LogCopier.class);
    static final Duration SAVE_DELAY = Duration.ofMillis(500);
    private static final Duration RETRY = Duration.ofSeconds(1);
    /**
     * Messages of one stream are timestamped in order, but stdout's and stderr's are timestamped by two threads of the
     * engine and may be written slightly out of order: a stream that has written nothing yet is read from this much
     * before the latest message seen.
     */
    private static final Duration STREAM_SKEW = Duration.ofSeconds(1);
    private static final int MAX_FRAME = 64 << 20;
    private static final int STDOUT = 1;
    private static final int STDERR = 2;
    private static final int SYSTEMERR = 3;

    private final DockerHttpClient http;
    private final String containerId;
    private final Path positionFile;
    private final ScheduledExecutorService timer;
    private final BooleanSupplier running;
    private final Out out;
    private final Out err;
    private final CompletableFuture<Void> followed = new CompletableFuture<>();
    /** The latest timestamp of any message handled, written or not. Guarded by this. */
    private Instant seen;
    private boolean saveScheduled;
    private boolean closed;
    private volatile boolean stopFollowing;
    private DockerHttpClient.Response following;

    /** One of the container's streams and where it is copied to. Guarded by the copier. */
    private static final class Out {
        final String name;
        final Path file;
        OutputStream stream;
        Instant ts;
        long count;

        Out(String name, Path file) {
            this.name = name;
            this.file = file;
        }
    }

    /** Where one read of the log is within a run of messages that share a timestamp, per stream. */
    private static final class Reader {
        final Instant[] ts = new Instant[3];
        final long[] index = new long[3];
    }

    /**
     * @param running whether the container still runs: asked when a followed stream ends, to tell the end of the
     *                container's output from a lost connection (true when it cannot be known)
     */
    LogCopier(DockerHttpClient http, String containerId, Path sandbox, Path checkpointDir, ScheduledExecutorService timer,
              BooleanSupplier running) {
        this.http = http;
        this.containerId = containerId;
        this.positionFile = checkpointDir.resolve(CheckpointFiles.LOGS);
        this.timer = timer;
        this.running = running;
        this.out = new Out("stdout", sandbox.resolve("stdout"));
        this.err = new Out("stderr", sandbox.resolve("stderr"));
        load();
        for (Out o : new Out[] {out, err}) {
            try {
                o.stream = Files.newOutputStream(o.file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                LOG.warn("cannot write the {} of container {} to {}: {}", o.name, shortId(), o.file, e.toString());
            }
        }
    }

    /** Starts following the container's logs on a thread of its own, until the container ends or {@link #close}. */
    void follow() {
        Thread t = new Thread(this::followLoop, "docker-logs-" + shortId());
        t.setDaemon(true);
        t.start();
    }

    /**
     * After the container ended: waits (at most {@code timeout}) for the followed stream to end, reads whatever it
     * may have missed, and closes the files.
     */
    void finish(Duration timeout) {
        try {
            followed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("the logs of container {} were still being followed {} ms after it ended", shortId(),
                    timeout.toMillis());
        } catch (ExecutionException e) {
            LOG.warn("following the logs of container {} failed: {}", shortId(), e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        copyRest();
    }

    /** Reads the log from the saved position to its end (the container has ended), and closes the files. */
    void copyRest() {
        stopFollowing();
        try {
            copy(false);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read the last logs of container {}: {}", shortId(), e.toString());
        }
        close();
    }

    /** Stops copying (the agent stops; the container may go on) and saves how far the copy went. */
    synchronized void close() {
        stopFollowing();
        if (closed) {
            return;
        }
        closed = true;
        save();
        for (Out o : new Out[] {out, err}) {
            if (o.stream != null) {
                try {
                    o.stream.close();
                } catch (IOException e) {
                    LOG.debug("closing {}: {}", o.file, e.toString());
                }
            }
        }
    }

    private void stopFollowing() {
        stopFollowing = true;
        DockerHttpClient.Response r;
        synchronized (this) {
            r = following;
            following = null;
        }
        if (r != null) {
            r.close();
        }
    }

    private void followLoop() {
        try {
            while (!stopFollowing) {
                try {
                    copy(true);
                    if (stopFollowing || !running.getAsBoolean()) {
                        break;
                    }
                    LOG.info("the log stream of container {} ended while it runs; following it again", shortId());
                } catch (IOException | RuntimeException e) {
                    if (stopFollowing) {
                        break;
                    }
                    LOG.warn("following the logs of container {} failed ({}); trying again in {} ms", shortId(),
                            e.toString(), RETRY.toMillis());
                    sleep(RETRY);
                }
            }
            followed.complete(null);
        } catch (Throwable t) {
            followed.completeExceptionally(t);
        }
    }

    /** One read of the log from the saved position: to its current end, or (following) until the container ends. */
    private void copy(boolean follow) throws IOException {
        StringBuilder path = new StringBuilder("/containers/").append(containerId)
                .append("/logs?stdout=1&stderr=1&timestamps=1");
        if (follow) {
            path.append("&follow=1");
        }
        Instant since = since();
        if (since != null) {
            path.append("&since=").append(since.getEpochSecond()).append('.')
                    .append(String.format("%09d", since.getNano()));
        }
        DockerHttpClient.Response response = http.execute(DockerHttpClient.Request.builder()
                .method(DockerHttpClient.Request.Method.GET)
                .path(path.toString())
                .build());
        try {
            if (follow) {
                synchronized (this) {
                    if (stopFollowing) {
                        return;
                    }
                    following = response;
                }
            }
            int status = response.getStatusCode();
            if (status == 404) {
                LOG.debug("container {} is gone; no more logs", shortId());
                return;
            }
            if (status != 200) {
                byte[] body = response.getBody().readNBytes(1024);
                throw new IOException("engine answered " + status + ": "
                        + new String(body, StandardCharsets.UTF_8).strip());
            }
            readFrames(response.getBody(), new Reader());
        } finally {
            if (follow) {
                synchronized (this) {
                    if (following == response) {
                        following = null;
                    }
                }
            }
            response.close();
        }
    }

    /** The engine's multiplexed stream: frames of an 8-byte header (stream, 3 zero bytes, size) and a payload. */
    private void readFrames(InputStream in, Reader reader) throws IOException {
        byte[] header = new byte[8];
        while (true) {
            int n = in.readNBytes(header, 0, header.length);
            if (n == 0) {
                return;
            }
            if (n < header.length) {
                throw new EOFException("the log stream ended inside a frame header");
            }
            int size = ((header[4] & 0xff) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8)
                    | (header[7] & 0xff);
            if (size < 0 || size > MAX_FRAME) {
                throw new IOException("not a log stream: a frame of " + Integer.toUnsignedString(size) + " bytes");
            }
            byte[] payload = in.readNBytes(size);
            if (payload.length < size) {
                throw new EOFException("the log stream ended inside a frame");
            }
            handle(header[0], payload, reader);
        }
    }

    /** A message: {@code TIMESTAMP SP CONTENT}, the timestamp in RFC 3339 with nanoseconds. */
    private synchronized void handle(int stream, byte[] payload, Reader reader) throws IOException {
        if (closed) {
            throw new IOException("log copier closed");
        }
        int space = -1;
        for (int i = 0; i < Math.min(payload.length, 64); i++) {
            if (payload[i] == ' ') {
                space = i;
                break;
            }
        }
        Instant ts = null;
        if (space > 0) {
            try {
                ts = Instant.parse(new String(payload, 0, space, StandardCharsets.US_ASCII));
            } catch (DateTimeParseException e) {
                ts = null;
            }
        }
        int from = ts == null ? 0 : space + 1;
        if (stream == SYSTEMERR) {
            LOG.warn("the engine reported an error in the logs of container {}: {}", shortId(),
                    new String(payload, from, payload.length - from, StandardCharsets.UTF_8).strip());
            return;
        }
        if (stream != STDOUT && stream != STDERR) {
            return;
        }
        Out o = stream == STDOUT ? out : err;
        if (ts == null) {
            // Not what was asked for (timestamps): copied, but it cannot be told apart from a copy made before.
            write(o, payload, 0);
            return;
        }
        if (!ts.equals(reader.ts[stream])) {
            reader.ts[stream] = ts;
            reader.index[stream] = 0;
        }
        long index = ++reader.index[stream];
        if (seen == null || ts.isAfter(seen)) {
            seen = ts;
        }
        if (o.ts != null && (ts.isBefore(o.ts) || ts.equals(o.ts) && index <= o.count)) {
            return;
        }
        write(o, payload, from);
        o.ts = ts;
        o.count = index;
        scheduleSave();
    }

    private void write(Out o, byte[] payload, int from) {
        if (o.stream == null) {
            return;
        }
        try {
            o.stream.write(payload, from, payload.length - from);
        } catch (IOException e) {
            LOG.warn("cannot write the {} of container {} to {} any more: {}", o.name, shortId(), o.file, e.toString());
            try {
                o.stream.close();
            } catch (IOException ignored) {
                // already failing
            }
            o.stream = null;
        }
    }

    /** Where the next read starts: the earliest of the streams' positions. Null: from the beginning. */
    private synchronized Instant since() {
        Instant a = start(out);
        Instant b = start(err);
        if (a == null || b == null) {
            return null;
        }
        return a.isBefore(b) ? a : b;
    }

    private Instant start(Out o) {
        if (o.ts != null) {
            return o.ts;
        }
        return seen == null ? null : seen.minus(STREAM_SKEW);
    }

    private void scheduleSave() {
        if (saveScheduled) {
            return;
        }
        saveScheduled = true;
        try {
            timer.schedule(() -> {
                synchronized (this) {
                    saveScheduled = false;
                    if (!closed) {
                        save();
                    }
                }
            }, SAVE_DELAY.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            // The agent's timer is gone (it stops): saved when the copier closes.
            saveScheduled = false;
        }
    }

    /** {@code stdout TS COUNT}, {@code stderr TS COUNT}, {@code seen TS}; {@code -} for none. */
    private synchronized void save() {
        String text = "stdout " + (out.ts == null ? "-" : out.ts) + " " + out.count + "\n"
                + "stderr " + (err.ts == null ? "-" : err.ts) + " " + err.count + "\n"
                + "seen " + (seen == null ? "-" : seen) + "\n";
        try {
            CheckpointFiles.replace(positionFile, text);
        } catch (IOException e) {
            LOG.warn("cannot record how far the logs of container {} were copied: {}", shortId(), e.toString());
        }
    }

    private synchronized void load() {
        String text;
        try {
            text = Files.readString(positionFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            LOG.warn("cannot read how far the logs of container {} were copied ({}); copying them all", shortId(),
                    e.toString());
            return;
        }
        try {
            for (String line : text.split("\n")) {
                String[] f = line.strip().split(" ");
                if (f.length >= 2 && f[0].equals("seen")) {
                    seen = f[1].equals("-") ? null : Instant.parse(f[1]);
                } else if (f.length == 3 && (f[0].equals("stdout") || f[0].equals("stderr"))) {
                    Out o = f[0].equals("stdout") ? out : err;
                    o.ts = f[1].equals("-") ? null : Instant.parse(f[1]);
                    o.count = Long.parseLong(f[2]);
                }
            }
        } catch (DateTimeParseException | NumberFormatException e) {
            LOG.warn("ignoring a damaged log position in {} ({}); copying the logs from the beginning", positionFile,
                    e.toString());
            out.ts = null;
            out.count = 0;
            err.ts = null;
            err.count = 0;
            seen = null;
        }
    }

    private String shortId() {
        return containerId.length() > 12 ? containerId.substring(0, 12) : containerId;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
