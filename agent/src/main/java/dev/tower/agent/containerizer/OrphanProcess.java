package dev.tower.agent.containerizer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A task's process left behind by an earlier run of the agent, now a child of init: it cannot be waited for, only
 * watched, so its end is noticed by polling. It is recognised by its pid and start time (pids are reused), and a
 * zombie counts as ended: an init that reaps orphans late would otherwise hide the end, and the JDK's
 * {@link ProcessHandle#isAlive()} counts zombies as alive.
 */
final class OrphanProcess {
    private static final Logger LOG = LoggerFactory.getLogger(OrphanProcess.class);
    private static final Path PROC = Path.of("/proc");
    private static final boolean HAS_PROC = Files.isReadable(PROC.resolve("self/stat"));
    /** In /proc/PID/stat, after the parenthesised command name: field 3 (state) is first, 22 (start time) is 20th. */
    private static final int STATE = 0;
    private static final int START_TIME = 19;

    private final long pid;
    private final Instant startedAt;
    /** The start time as /proc has it (clock ticks since boot); null where there is no /proc. */
    private final String startTicks;

    private OrphanProcess(long pid, Instant startedAt, String startTicks) {
        this.pid = pid;
        this.startedAt = startedAt;
        this.startTicks = startTicks;
    }

    /** The process, if {@code pid} still names it (same start time; any start time when that is unknown) and it runs. */
    static Optional<OrphanProcess> find(long pid, Instant startedAt) {
        if (ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> isSame(h, startedAt)).isEmpty()) {
            return Optional.empty();
        }
        if (!HAS_PROC) {
            return Optional.of(new OrphanProcess(pid, startedAt, null));
        }
        Optional<String[]> stat;
        try {
            stat = stat(pid);
        } catch (IOException e) {
            LOG.debug("cannot read /proc/{}/stat, watching the process through the JDK: {}", pid, e.toString());
            return Optional.of(new OrphanProcess(pid, startedAt, null));
        }
        if (stat.isEmpty() || !running(stat.get())) {
            return Optional.empty();
        }
        return Optional.of(new OrphanProcess(pid, startedAt, stat.get()[START_TIME]));
    }

    /**
     * Whether {@code pid} now names another process: the task's process ended and its pid was given to a new one. A
     * process group of that number is then someone else's too, and must not be signalled.
     */
    static boolean pidReused(long pid, Instant startedAt) {
        return startedAt != null && ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> !isSame(h, startedAt))
                .isPresent();
    }

    /** Completes once the process has ended, checking every {@code interval} on {@code timer}. */
    CompletableFuture<Void> onExit(ScheduledExecutorService timer, Duration interval) {
        CompletableFuture<Void> ended = new CompletableFuture<>();
        AtomicReference<ScheduledFuture<?>> poll = new AtomicReference<>();
        poll.set(timer.scheduleWithFixedDelay(() -> {
            if (!isRunning()) {
                ended.complete(null);
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS));
        ended.whenComplete((v, e) -> poll.get().cancel(false));
        return ended;
    }

    boolean isRunning() {
        if (startTicks == null) {
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(h -> isSame(h, startedAt)).isPresent();
        }
        Optional<String[]> stat;
        try {
            stat = stat(pid);
        } catch (IOException e) {
            // Not a sign that the process ended: count it as running rather than end a task by mistake.
            LOG.debug("cannot read /proc/{}/stat: {}", pid, e.toString());
            return true;
        }
        return stat.isPresent() && running(stat.get()) && stat.get()[START_TIME].equals(startTicks);
    }

    private static boolean isSame(ProcessHandle h, Instant startedAt) {
        return startedAt == null || h.info().startInstant().map(startedAt::equals).orElse(false);
    }

    private static boolean running(String[] stat) {
        String state = stat[STATE];
        return !state.equals("Z") && !state.equals("X");
    }

    /** The fields of /proc/PID/stat after the command name, or empty when there is no such process. */
    private static Optional<String[]> stat(long pid) throws IOException {
        String text;
        try {
            // Latin-1 decodes any bytes, whatever the command name holds.
            text = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        int end = text.lastIndexOf(')');
        String[] fields = end < 0 ? new String[0] : text.substring(end + 1).trim().split(" ");
        return fields.length > START_TIME ? Optional.of(fields) : Optional.empty();
    }
}
