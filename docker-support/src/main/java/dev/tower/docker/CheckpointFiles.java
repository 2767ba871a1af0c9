package dev.tower.docker;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;

/**
 * What the Docker containerizer keeps in a task's checkpoint directory so that a restarted agent finds the task's
 * container again: which container it is (and the task's framework and sandbox, which recovery is not told), the exit
 * status once known (a container is removed after it ends, and an agent that stops between the two must not lose the
 * status), and how far its logs have been copied ({@link LogCopier}). Every file is replaced whole, by a rename.
 */
final class CheckpointFiles {
    static final String CONTAINER = "docker-container";
    static final String EXIT = "docker-exit";
    static final String LOGS = "docker-logs";

    private CheckpointFiles() {
    }

    /** The container a task runs in. */
    record ContainerRecord(String containerId, String frameworkId, String taskId, Path sandbox) {

        void write(Path checkpointDir) throws IOException {
            Properties p = new Properties();
            p.setProperty("container-id", containerId);
            p.setProperty("framework-id", frameworkId);
            p.setProperty("task-id", taskId);
            p.setProperty("sandbox", sandbox.toString());
            StringWriter out = new StringWriter();
            p.store(out, "the Docker container of a Tower task");
            replace(checkpointDir.resolve(CONTAINER), out.toString());
        }

        static Optional<ContainerRecord> read(Path checkpointDir) {
            Properties p = new Properties();
            try (Reader in = Files.newBufferedReader(checkpointDir.resolve(CONTAINER), StandardCharsets.UTF_8)) {
                p.load(in);
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            String id = p.getProperty("container-id");
            String fw = p.getProperty("framework-id");
            String task = p.getProperty("task-id");
            String sandbox = p.getProperty("sandbox");
            if (id == null || fw == null || task == null || sandbox == null) {
                return Optional.empty();
            }
            return Optional.of(new ContainerRecord(id, fw, task, Path.of(sandbox)));
        }
    }

    /** How a container ended, as its engine said: exit status, and whether the kernel killed part of it for memory. */
    record ExitRecord(long exitCode, boolean oomKilled) {

        void write(Path checkpointDir) throws IOException {
            replace(checkpointDir.resolve(EXIT), exitCode + " " + oomKilled + "\n");
        }

        static Optional<ExitRecord> read(Path checkpointDir) {
            String text;
            try {
                text = Files.readString(checkpointDir.resolve(EXIT), StandardCharsets.US_ASCII).strip();
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            String[] parts = text.split(" ");
            if (parts.length != 2) {
                return Optional.empty();
            }
            try {
                return Optional.of(new ExitRecord(Long.parseLong(parts[0]), Boolean.parseBoolean(parts[1])));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
    }

    /** Writes {@code text} to a file beside {@code file} and renames it over {@code file}. */
    static void replace(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
