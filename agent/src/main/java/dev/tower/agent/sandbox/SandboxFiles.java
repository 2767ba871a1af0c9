package dev.tower.agent.sandbox;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Reads and lists files inside one sandbox for the {@code /files} API; no path may lead out of it. */
public final class SandboxFiles {
    public static final int MAX_READ = 1024 * 1024;

    private final Path sandbox;

    public SandboxFiles(Path sandbox) {
        this.sandbox = sandbox;
    }

    /** A chunk of a file; {@code data} is the bytes decoded as UTF-8 (a character cut at the edge shows as U+FFFD). */
    public record Chunk(String path, long offset, long size, String data) {
    }

    /** One directory entry, {@code path} relative to the sandbox, {@code mtime} in epoch seconds. */
    public record Entry(String path, long size, String mode, long mtime, boolean dir) {
    }

    /**
     * The sandbox-relative path made absolute, checked both lexically (no absolute paths, no {@code ..} climbing out)
     * and after resolving symlinks (no link pointing outside).
     */
    public Path resolve(String relative) throws SandboxEscapeException, IOException {
        if (relative.startsWith("/") || relative.indexOf('\0') >= 0 || Path.of(relative).isAbsolute()) {
            throw new SandboxEscapeException(relative);
        }
        Path base = sandbox.toAbsolutePath().normalize();
        Path target = base.resolve(relative).normalize();
        if (!target.startsWith(base)) {
            throw new SandboxEscapeException(relative);
        }
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(relative);
        }
        Path real;
        try {
            real = target.toRealPath();
        } catch (NoSuchFileException e) {
            // A dangling symlink: where it points is the user's business only if that is inside the sandbox.
            Path link = Files.readSymbolicLink(target);
            if (!target.getParent().resolve(link).normalize().startsWith(base)) {
                throw new SandboxEscapeException(relative);
            }
            throw new NoSuchFileException(relative);
        }
        if (!real.startsWith(base.toRealPath())) {
            throw new SandboxEscapeException(relative);
        }
        return real;
    }

    /** Up to {@code length} bytes from {@code offset}; offset -1 asks only for the size. */
    public Chunk read(String relative, long offset, int length) throws SandboxEscapeException, IOException {
        Path file = resolve(relative);
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException("path '" + relative + "' is a directory");
        }
        int len = Math.min(Math.max(length, 0), MAX_READ);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (offset < 0 || offset >= size || len == 0) {
                return new Chunk(relative, offset, size, "");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(len, size - offset));
            long pos = offset;
            while (buf.hasRemaining()) {
                int n = ch.read(buf, pos);
                if (n < 0) {
                    break;
                }
                pos += n;
            }
            buf.flip();
            return new Chunk(relative, offset, size, StandardCharsets.UTF_8.decode(buf).toString());
        }
    }

    public List<Entry> browse(String relative) throws SandboxEscapeException, IOException {
        Path dir = resolve(relative);
        Path base = sandbox.toRealPath();
        List<Entry> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            out.add(entry(base, dir));
            return out;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                out.add(entry(base, p));
            }
        }
        out.sort(Comparator.comparing(Entry::path));
        return out;
    }

    private static Entry entry(Path base, Path p) throws IOException {
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        char type = a.isDirectory() ? 'd' : a.isSymbolicLink() ? 'l' : '-';
        return new Entry(base.relativize(p).toString(), a.size(), type + PosixFilePermissions.toString(a.permissions()),
                a.lastModifiedTime().toInstant().getEpochSecond(), a.isDirectory());
    }
}
