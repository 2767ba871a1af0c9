package dev.tower.agent.master;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The id the master gave this agent, kept in {@code workDir/meta/agent.id} so that a reconnection or a restart
 * presents the same identity and the master keeps the agent's tasks.
 */
public final class AgentIdFile {
    private final Path file;

    public AgentIdFile(Path workDir) {
        this.file = workDir.resolve("meta").resolve("agent.id");
    }

    public Optional<String> read() {
        try {
            if (!Files.exists(file)) {
                return Optional.empty();
            }
            String id = Files.readString(file, StandardCharsets.UTF_8).trim();
            return id.isEmpty() ? Optional.empty() : Optional.of(id);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    public void write(String id) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling("agent.id.tmp");
            Files.writeString(tmp, id + "\n", StandardCharsets.UTF_8);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
