package dev.tower.agent.sandbox;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The sandbox tree: {@code workDir/sandboxes/<frameworkId>/<taskId>/}. */
public final class Sandboxes {
    private final Path root;

    public Sandboxes(Path workDir) {
        this.root = workDir.resolve("sandboxes");
    }

    public Path root() {
        return root;
    }

    public Path pathOf(String frameworkId, String taskId) {
        return root.resolve(DirNames.encode(frameworkId)).resolve(DirNames.encode(taskId));
    }

    /**
     * A fresh, empty sandbox. A directory left by an earlier task with the same id is kept for inspection under a
     * numeric suffix rather than reused, so old output never mixes with new.
     */
    public Path create(String frameworkId, String taskId) throws IOException {
        Path dir = pathOf(frameworkId, taskId);
        if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            int n = 1;
            Path aside;
            do {
                aside = dir.resolveSibling(dir.getFileName() + "." + n++);
            } while (Files.exists(aside, java.nio.file.LinkOption.NOFOLLOW_LINKS));
            Files.move(dir, aside);
        }
        Files.createDirectories(dir);
        return dir;
    }

    /** The frameworks that have a sandbox for this task id (a task id is unique only within its framework). */
    public List<String> frameworksWithTask(String taskId) throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        String name = DirNames.encode(taskId);
        try (DirectoryStream<Path> fws = Files.newDirectoryStream(root)) {
            for (Path fw : fws) {
                if (Files.isDirectory(fw.resolve(name), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    out.add(DirNames.decode(fw.getFileName().toString()));
                }
            }
        }
        return out;
    }

    public Optional<Path> find(String frameworkId, String taskId) {
        Path dir = pathOf(frameworkId, taskId);
        return Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? Optional.of(dir) : Optional.empty();
    }

    /** Every sandbox directory, including ones moved aside, for the garbage collector's sweep. */
    public List<Path> all() throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (DirectoryStream<Path> fws = Files.newDirectoryStream(root)) {
            for (Path fw : fws) {
                if (!Files.isDirectory(fw, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                try (DirectoryStream<Path> tasks = Files.newDirectoryStream(fw)) {
                    for (Path t : tasks) {
                        out.add(t);
                    }
                }
            }
        }
        return out;
    }
}
