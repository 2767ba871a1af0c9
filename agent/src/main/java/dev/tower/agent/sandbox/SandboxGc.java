package dev.tower.agent.sandbox;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Deletes sandboxes of finished tasks a while after the task is settled, so that their output stays browsable for
 * {@code delay} but the disk does not fill up.
 */
public final class SandboxGc {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxGc.class);

    private final Sandboxes sandboxes;
    private final Duration delay;
    private final ScheduledExecutorService timer;
    private final Clock clock;

    public SandboxGc(Sandboxes sandboxes, Duration delay, ScheduledExecutorService timer, Clock clock) {
        this.sandboxes = sandboxes;
        this.delay = delay;
        this.timer = timer;
        this.clock = clock;
    }

    public void schedule(Path sandbox) {
        timer.schedule(() -> delete(sandbox), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * At start-up: every sandbox not in use is deleted once it has been untouched for {@code delay}, counted from its
     * last modification since the agent that wrote it may be long gone.
     */
    public void sweep(Predicate<Path> inUse) {
        try {
            for (Path dir : sandboxes.all()) {
                if (inUse.test(dir)) {
                    continue;
                }
                Instant modified = Files.getLastModifiedTime(dir).toInstant();
                Duration left = Duration.between(clock.instant(), modified.plus(delay));
                if (left.isNegative() || left.isZero()) {
                    delete(dir);
                } else {
                    timer.schedule(() -> delete(dir), left.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
        } catch (IOException e) {
            LOG.warn("sandbox sweep of {} failed: {}", sandboxes.root(), e.toString());
        }
    }

    void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            deleteTree(dir);
            LOG.info("deleted sandbox {}", dir);
        } catch (IOException e) {
            LOG.warn("cannot delete sandbox {}: {}", dir, e.toString());
        }
    }

    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        // walkFileTree does not follow symlinks, so a link in a sandbox never leads the deletion outside it.
        Files.walkFileTree(dir, Set.of(), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
