package dev.tower.agent.security;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * Task-scoped tokens: the agent gives each task ({@code TOWER_TASK_TOKEN}) a token that reads that task's sandbox on
 * this agent and nothing else. A token is the task's ids signed with a key only the agent knows (kept in its work
 * dir, so tokens stay valid across an agent restart): nothing to store per task, nothing to revoke — a task's
 * sandbox is collected with the task.
 */
public final class TaskTokens {
    public static final String ENV = "TOWER_TASK_TOKEN";
    private static final String PREFIX = "tt1.";
    private static final String KEY_FILE = "task-token.key";
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    private final byte[] key;

    TaskTokens(byte[] key) {
        this.key = key.clone();
    }

    /** The task a token was issued to. */
    public record Scope(String frameworkId, String taskId) {
    }

    /** The agent's key from {@code workDir}, made (readable by the agent's user only) on first use. */
    public static TaskTokens load(Path workDir) {
        Path file = workDir.resolve(KEY_FILE);
        try {
            if (!Files.exists(file)) {
                byte[] k = new byte[32];
                new SecureRandom().nextBytes(k);
                Path tmp = workDir.resolve(KEY_FILE + ".tmp");
                Files.deleteIfExists(tmp);
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.write(tmp, k, StandardOpenOption.TRUNCATE_EXISTING);
                Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            byte[] k = Files.readAllBytes(file);
            if (k.length < 16) {
                throw new IllegalStateException("task token key " + file + " is damaged (" + k.length
                        + " bytes); delete it to make a new one (tokens of running tasks then stop working)");
            }
            return new TaskTokens(k);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or make the task token key " + file + ": " + e.getMessage(), e);
        }
    }

    public String issue(String frameworkId, String taskId) {
        return PREFIX + B64.encodeToString(frameworkId.getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(taskId.getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(mac(frameworkId, taskId));
    }

    /** The task a token was issued to by this agent, or empty for anything else. */
    public Optional<Scope> verify(String token) {
        if (token == null || !token.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String[] parts = token.substring(PREFIX.length()).split("\\.", -1);
        if (parts.length != 3) {
            return Optional.empty();
        }
        try {
            String fw = new String(B64D.decode(parts[0]), StandardCharsets.UTF_8);
            String task = new String(B64D.decode(parts[1]), StandardCharsets.UTF_8);
            return MessageDigest.isEqual(mac(fw, task), B64D.decode(parts[2])) ? Optional.of(new Scope(fw, task))
                    : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private byte[] mac(String frameworkId, String taskId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            // The separator cannot occur in ids the master accepts, so no two tasks share a signed text.
            return mac.doFinal((frameworkId + "\n" + taskId).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
