package dev.tower.agent.containerizer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The file in a task's checkpoint directory where the task's own shell records its exit status as it ends, for an
 * agent that is not (or no longer) the task's parent and so cannot wait for it: after an agent restart, a task's
 * process is a child of init and its status is reaped there.
 *
 * <p>The shell writes the status as one line, {@code N\n}, with a single {@code write(2)}; the agent reads the file
 * only once the task's process is gone, so the writer has finished. Anything but one complete line of a status (no
 * file, an empty one left by a writer killed before it wrote, a damaged one) means the status is unknown.
 */
final class ExitStatusFile {
    private static final Logger LOG = LoggerFactory.getLogger(ExitStatusFile.class);
    static final String NAME = "exit_status";
    private static final Pattern LINE = Pattern.compile("[0-9]{1,3}\n");

    private ExitStatusFile() {
    }

    static Path in(Path checkpointDir) {
        return checkpointDir.resolve(NAME);
    }

    /** The recorded status (0-255: {@code N} for {@code exit N}, 128 + S for a death by signal S), if any. */
    static Optional<Integer> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.warn("cannot read the exit status in {}: {}", file, e.toString());
            return Optional.empty();
        }
        if (!LINE.matcher(text).matches()) {
            LOG.warn("ignoring an incomplete exit status in {}: '{}'", file, text.strip());
            return Optional.empty();
        }
        int status = Integer.parseInt(text.strip());
        return status <= 255 ? Optional.of(status) : Optional.empty();
    }
}
