package dev.tower.agent.status;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.agent.sandbox.DirNames;
import dev.tower.agent.sandbox.SandboxGc;
import dev.tower.api.codec.Json;
import dev.tower.api.model.TaskStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A task's checkpoint directory, {@code meta/frameworks/<fw>/tasks/<task>/}: {@code task.json} (replaced atomically)
 * and {@code updates.log}, an append-only JSON-lines journal of updates and acknowledgements. Containerizers may keep
 * files of their own beside them (the process containerizer's record of a task's exit status); they go with the
 * directory.
 *
 * <p>Only what a crash could not rebuild is fsync'd: the checkpoint that records a launched process, and terminal
 * updates (they carry the exit code). Losing anything else is harmless — a task checkpointed before it was launched
 * never ran; a lost STARTING or RUNNING is superseded by the state found on recovery; a lost acknowledgement only makes
 * the agent resend an update that the master acknowledges again as a duplicate — and skipping those fsyncs keeps the
 * agent's event thread from waiting on the disk several times per task.
 */
final class TaskMeta {
    private static final Logger LOG = LoggerFactory.getLogger(TaskMeta.class);
    static final String TASK_FILE = "task.json";
    static final String LOG_FILE = "updates.log";

    private final Path dir;

    TaskMeta(Path dir) {
        this.dir = dir;
    }

    static TaskMeta of(Path metaRoot, TaskKey key) {
        return new TaskMeta(metaRoot.resolve("frameworks").resolve(DirNames.encode(key.frameworkId()))
                .resolve("tasks").resolve(DirNames.encode(key.taskId())));
    }

    /** One journal line: exactly one of the two is set. */
    record Journal(TaskStatus update, String ack) {
    }

    Path dir() {
        return dir;
    }

    void writeTask(TaskCheckpoint checkpoint, boolean durable) throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve(TASK_FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(Json.writeBytes(checkpoint));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            if (durable) {
                ch.force(true);
            }
        }
        Files.move(tmp, dir.resolve(TASK_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        if (durable) {
            syncDir();
        }
    }

    void appendUpdate(TaskStatus status) throws IOException {
        append(new Journal(status, null), status.state().isTerminal());
    }

    void appendAck(String uuid) throws IOException {
        append(new Journal(null, uuid), false);
    }

    /**
     * Takes the directory out of the way at once (a rename) so the same task id can be checkpointed again right
     * away; the returned directory is deleted later, off the caller's thread.
     */
    Path retire(Path retiredRoot) throws IOException {
        Files.createDirectories(retiredRoot);
        Path tomb = Files.createTempDirectory(retiredRoot, "task-");
        Files.move(dir, tomb.resolve("meta"), StandardCopyOption.ATOMIC_MOVE);
        return tomb;
    }

    private void append(Journal record, boolean durable) throws IOException {
        byte[] line = (Json.write(record) + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(dir.resolve(LOG_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer buf = ByteBuffer.wrap(line);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            if (durable) {
                ch.force(true);
            }
        }
    }

    TaskCheckpoint readTask() throws IOException {
        return Json.read(Files.readString(dir.resolve(TASK_FILE)), TaskCheckpoint.class);
    }

    List<Journal> readJournal() throws IOException {
        List<Journal> out = new ArrayList<>();
        Path file = dir.resolve(LOG_FILE);
        if (!Files.exists(file)) {
            return out;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode node = Json.mapper().readTree(line);
                out.add(Json.mapper().treeToValue(node, Journal.class));
            } catch (IOException e) {
                // Only the last line can be torn (a crash mid-append); anything else means the file was damaged.
                if (i == lines.size() - 1) {
                    LOG.warn("ignoring a torn last record in {}", file);
                } else {
                    throw new IOException("corrupt record " + (i + 1) + " in " + file + ": " + e.getMessage());
                }
            }
        }
        return out;
    }

    void delete() throws IOException {
        SandboxGc.deleteTree(dir);
    }

    private void syncDir() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems cannot sync a directory; the rename is still atomic, only its durability is weaker.
            LOG.debug("cannot fsync {}: {}", dir, e.toString());
        }
    }
}
