package dev.tower.agent.status;

import dev.tower.agent.sandbox.DirNames;
import dev.tower.agent.sandbox.SandboxGc;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The durable, ordered status update stream of every task. Per task only the oldest unacknowledged update is in
 * flight; it is resent with backoff until the master relays the framework's acknowledgement, then the next one goes.
 * Each update is journaled (fsync'd) before it is first sent, so a restarted agent resends what was not acknowledged.
 * Once a task's terminal update is acknowledged the task is forgotten.
 */
public final class StatusUpdates {
    private static final Logger LOG = LoggerFactory.getLogger(StatusUpdates.class);

    /**
     * A resend only helps when the master lost an update it had accepted; a (re-)subscription resends everything at
     * once anyway. Short intervals instead flood a busy master with duplicates that it must relay and the framework
     * must acknowledge, which is how a burst of launches used to bring throughput down to a crawl.
     */
    public static final Duration INITIAL_BACKOFF = Duration.ofSeconds(5);
    public static final Duration MAX_BACKOFF = Duration.ofSeconds(60);

    /** Sends one update to the master; false when there is no connection to send it on. */
    public interface Sender {
        boolean send(TaskStatus status);
    }

    /** A task found in the checkpoints at start-up. */
    public record Recovered(TaskKey key, TaskCheckpoint checkpoint, Optional<TaskState> latestState,
                            boolean terminal, List<TaskStatus> unacknowledged) {
    }

    /** Under the meta root: checkpoints of settled tasks waiting to be deleted. */
    private static final String RETIRED_DIR = "retired";

    private final Path metaRoot;
    private final ScheduledExecutorService timer;
    private final Sender sender;
    private final Consumer<TaskKey> settled;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Map<TaskKey, Stream> streams = new LinkedHashMap<>();
    private boolean closed;

    /**
     * @param settled told (outside any lock) when a task's terminal update is acknowledged and the task is forgotten
     */
    public StatusUpdates(Path metaRoot, ScheduledExecutorService timer, Sender sender, Consumer<TaskKey> settled) {
        this(metaRoot, timer, sender, settled, INITIAL_BACKOFF, MAX_BACKOFF);
    }

    public StatusUpdates(Path metaRoot, ScheduledExecutorService timer, Sender sender, Consumer<TaskKey> settled,
                         Duration initialBackoff, Duration maxBackoff) {
        this.metaRoot = metaRoot;
        this.timer = timer;
        this.sender = sender;
        this.settled = settled;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
    }

    private final class Stream {
        final TaskKey key;
        final TaskMeta meta;
        final Deque<TaskStatus> pending = new ArrayDeque<>();
        ScheduledFuture<?> retry;
        Duration backoff = initialBackoff;

        Stream(TaskKey key, TaskMeta meta) {
            this.key = key;
            this.meta = meta;
        }
    }

    /** Starts a task's stream; its checkpoint is on disk when this returns. */
    public synchronized void track(TaskKey key, TaskCheckpoint checkpoint) {
        if (streams.containsKey(key)) {
            throw new IllegalStateException(key + " is already tracked");
        }
        TaskMeta meta = TaskMeta.of(metaRoot, key);
        try {
            meta.writeTask(checkpoint, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot checkpoint " + key, e);
        }
        streams.put(key, new Stream(key, meta));
    }

    /** Replaces a tracked task's checkpoint, e.g. to record its process once launched. */
    public synchronized void checkpoint(TaskKey key, TaskCheckpoint checkpoint) {
        Stream s = streams.get(key);
        if (s == null) {
            return;
        }
        try {
            s.meta.writeTask(checkpoint, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot checkpoint " + key, e);
        }
    }

    /**
     * The directory of a tracked task's checkpoint. It lives as long as the checkpoint (until the task is settled) and
     * survives agent restarts, so a containerizer may keep there what it needs to recover the task.
     */
    public synchronized Path checkpointDir(TaskKey key) {
        Stream s = streams.get(key);
        if (s == null) {
            throw new IllegalStateException(key + " is not tracked");
        }
        return s.meta.dir();
    }

    /** Journals the update and sends it as soon as every earlier update of the task is acknowledged. */
    public synchronized void enqueue(TaskKey key, TaskStatus status) {
        Stream s = streams.get(key);
        if (s == null) {
            throw new IllegalStateException(key + " is not tracked");
        }
        try {
            s.meta.appendUpdate(status);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot checkpoint update " + status.uuid() + " of " + key, e);
        }
        s.pending.addLast(status);
        if (s.pending.size() == 1) {
            s.backoff = initialBackoff;
            sendHead(s);
        }
    }

    /** The master relayed an acknowledgement. Unknown, late and duplicate ones are ignored. */
    public void acknowledge(String frameworkId, String taskId, String uuid) {
        TaskKey key = new TaskKey(frameworkId, taskId);
        boolean forgotten = false;
        synchronized (this) {
            Stream s = streams.get(key);
            TaskStatus head = s == null ? null : s.pending.peekFirst();
            if (head == null || !head.uuid().equals(uuid)) {
                LOG.debug("ignoring acknowledgement {} for {}: not the update in flight", uuid, key);
                return;
            }
            cancelRetry(s);
            try {
                s.meta.appendAck(uuid);
            } catch (IOException e) {
                // Not fatal: the update is resent after a restart and acknowledged again.
                LOG.warn("cannot journal acknowledgement {} of {}: {}", uuid, key, e.toString());
            }
            s.pending.removeFirst();
            if (head.state().isTerminal() && s.pending.isEmpty()) {
                forget(s);
                forgotten = true;
            } else if (!s.pending.isEmpty()) {
                s.backoff = initialBackoff;
                sendHead(s);
            }
        }
        if (forgotten) {
            settled.accept(key);
        }
    }

    /** After a (re-)subscription: every update in flight is resent now rather than at its next retry. */
    public synchronized void resendAll() {
        for (Stream s : streams.values()) {
            if (!s.pending.isEmpty()) {
                cancelRetry(s);
                s.backoff = initialBackoff;
                sendHead(s);
            }
        }
    }

    /** The unacknowledged updates of a task, oldest first. */
    public synchronized List<TaskStatus> unacknowledged(TaskKey key) {
        Stream s = streams.get(key);
        return s == null ? List.of() : List.copyOf(s.pending);
    }

    /** Status updates sent (or to send) and not yet acknowledged by the master, over all tasks. */
    public synchronized int unacknowledgedCount() {
        int n = 0;
        for (Stream s : streams.values()) {
            n += s.pending.size();
        }
        return n;
    }

    public synchronized boolean isTracked(TaskKey key) {
        return streams.containsKey(key);
    }

    /** Stops sending; updates enqueued afterwards are still journaled, for the next run of the agent. */
    public synchronized void close() {
        closed = true;
        streams.values().forEach(this::cancelRetry);
    }

    /**
     * Loads every checkpointed task and its unacknowledged updates; they are sent on the next {@link #resendAll()}.
     * Tasks whose terminal update was acknowledged just before a crash are forgotten now.
     */
    public synchronized List<Recovered> recover() throws IOException {
        // Checkpoints of settled tasks whose deletion a crash interrupted.
        deleteQuietly(metaRoot.resolve(RETIRED_DIR));
        List<Recovered> out = new ArrayList<>();
        Path frameworks = metaRoot.resolve("frameworks");
        if (!Files.isDirectory(frameworks)) {
            return out;
        }
        try (DirectoryStream<Path> fws = Files.newDirectoryStream(frameworks)) {
            for (Path fw : fws) {
                Path tasks = fw.resolve("tasks");
                if (!Files.isDirectory(tasks)) {
                    continue;
                }
                try (DirectoryStream<Path> ts = Files.newDirectoryStream(tasks)) {
                    for (Path t : ts) {
                        recoverOne(new TaskKey(DirNames.decode(fw.getFileName().toString()),
                                DirNames.decode(t.getFileName().toString())), new TaskMeta(t)).ifPresent(out::add);
                    }
                }
            }
        }
        return out;
    }

    private Optional<Recovered> recoverOne(TaskKey key, TaskMeta meta) throws IOException {
        if (!Files.exists(meta.dir().resolve(TaskMeta.TASK_FILE))) {
            LOG.warn("removing incomplete checkpoint {} (no {})", meta.dir(), TaskMeta.TASK_FILE);
            meta.delete();
            return Optional.empty();
        }
        TaskCheckpoint checkpoint = meta.readTask();
        Deque<TaskStatus> pending = new ArrayDeque<>();
        TaskState latest = null;
        boolean terminal = false;
        for (TaskMeta.Journal j : meta.readJournal()) {
            if (j.update() != null) {
                pending.addLast(j.update());
                latest = j.update().state();
                terminal |= latest.isTerminal();
            } else if (j.ack() != null && !pending.isEmpty() && pending.peekFirst().uuid().equals(j.ack())) {
                pending.removeFirst();
            }
        }
        if (terminal && pending.isEmpty()) {
            meta.delete();
            return Optional.empty();
        }
        Stream s = new Stream(key, meta);
        s.pending.addAll(pending);
        streams.put(key, s);
        return Optional.of(new Recovered(key, checkpoint, Optional.ofNullable(latest), terminal, List.copyOf(pending)));
    }

    private void sendHead(Stream s) {
        TaskStatus head = s.pending.peekFirst();
        if (head == null || closed) {
            return;
        }
        if (!sender.send(head)) {
            // Not connected: resendAll() picks it up once subscribed.
            return;
        }
        Duration wait = s.backoff;
        s.backoff = wait.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : wait.multipliedBy(2);
        s.retry = timer.schedule(() -> retry(s, head), wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    private synchronized void retry(Stream s, TaskStatus expectedHead) {
        if (streams.get(s.key) == s && s.pending.peekFirst() == expectedHead) {
            LOG.debug("resending unacknowledged update {} ({}) of {}", expectedHead.uuid(), expectedHead.state(), s.key);
            sendHead(s);
        }
    }

    private void cancelRetry(Stream s) {
        if (s.retry != null) {
            s.retry.cancel(false);
            s.retry = null;
        }
    }

    private void forget(Stream s) {
        streams.remove(s.key);
        try {
            Path retired = s.meta.retire(metaRoot.resolve(RETIRED_DIR));
            timer.execute(() -> deleteQuietly(retired));
        } catch (IOException e) {
            LOG.warn("cannot remove checkpoint of {}: {}", s.key, e.toString());
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            SandboxGc.deleteTree(dir);
        } catch (NoSuchFileException e) {
            // Deleted by someone else meanwhile (a previous run's leftovers are swept at start-up).
        } catch (IOException e) {
            LOG.warn("cannot remove retired checkpoint {}: {}", dir, e.toString());
        }
    }
}
