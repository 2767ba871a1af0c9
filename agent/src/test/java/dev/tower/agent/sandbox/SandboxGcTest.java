package dev.tower.agent.sandbox;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class SandboxGcTest {
    @TempDir
    Path workDir;
    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void tearDown() {
        timer.shutdownNow();
    }

    @Test
    void settledSandboxIsDeletedAfterTheDelay() throws Exception {
        Sandboxes sandboxes = new Sandboxes(workDir);
        Path dir = sandboxes.create("fw1", "t1");
        Files.writeString(dir.resolve("stdout"), "x");
        new SandboxGc(sandboxes, Duration.ofMillis(200), timer, Clock.systemUTC()).schedule(dir);
        assertThat(dir).exists();
        await().atMost(Duration.ofSeconds(3)).until(() -> !Files.exists(dir));
    }

    @Test
    void startupSweepDeletesOldUnusedSandboxesOnly() throws Exception {
        Sandboxes sandboxes = new Sandboxes(workDir);
        Path old = sandboxes.create("fw1", "old");
        Path inUse = sandboxes.create("fw1", "running");
        Path fresh = sandboxes.create("fw1", "fresh");
        Files.createSymbolicLink(old.resolve("link"), workDir);
        FileTime longAgo = FileTime.from(Instant.now().minus(Duration.ofHours(2)));
        Files.setLastModifiedTime(old, longAgo);
        Files.setLastModifiedTime(inUse, longAgo);

        new SandboxGc(sandboxes, Duration.ofHours(1), timer, Clock.systemUTC()).sweep(inUse::equals);

        assertThat(old).doesNotExist();
        assertThat(inUse).exists();
        assertThat(fresh).exists();
        assertThat(workDir).exists();
    }

    @Test
    void rerunOfATaskIdKeepsTheOldSandboxAside() throws Exception {
        Sandboxes sandboxes = new Sandboxes(workDir);
        Path first = sandboxes.create("fw1", "t1");
        Files.writeString(first.resolve("stdout"), "first run");
        Path second = sandboxes.create("fw1", "t1");
        assertThat(second).isEqualTo(first).isEmptyDirectory();
        assertThat(first.resolveSibling("t1.1").resolve("stdout")).hasContent("first run");
        assertThat(sandboxes.pathOf("fw1", "../x").getParent()).isEqualTo(sandboxes.root().resolve("fw1"));
    }
}
