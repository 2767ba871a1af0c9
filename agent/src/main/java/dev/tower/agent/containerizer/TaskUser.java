package dev.tower.agent.containerizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A user of the agent's machine that process tasks may run as: its passwd entry's name, uid, primary gid and home.
 * Users are looked up with {@code getent passwd} (so NSS sources such as LDAP count), or in {@code /etc/passwd} on a
 * machine without getent.
 */
public record TaskUser(String name, int uid, int gid, String home) {
    public static final String ROOT = "root";
    /** The user a root agent runs tasks as by default, when it exists: {@code tower agent --task-user}. */
    public static final String NOBODY = "nobody";
    /** What useradd accepts (and a numeric uid): never an option to the tools the name is passed to. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}\\$?");
    private static final Path PASSWD = Path.of("/etc/passwd");

    /** The passwd entry of {@code name} (or of the uid {@code name} spells), if the machine has one. */
    public static Optional<TaskUser> lookup(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        try {
            Process p = new ProcessBuilder(List.of("getent", "passwd", name)).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            // Exit status 2: no such entry. Anything else but 0 (getent broken): fall back to the file.
            if (p.exitValue() == 0) {
                return out.lines().findFirst().flatMap(TaskUser::parse);
            }
            if (p.exitValue() == 2) {
                return Optional.empty();
            }
        } catch (IOException e) {
            // No getent on this machine.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        return fromFile(PASSWD, name);
    }

    static Optional<TaskUser> fromFile(Path passwd, String name) {
        try {
            return Files.readAllLines(passwd, StandardCharsets.UTF_8).stream().map(TaskUser::parse)
                    .flatMap(Optional::stream)
                    .filter(u -> u.name.equals(name) || Integer.toString(u.uid).equals(name))
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** One passwd line: {@code name:password:uid:gid:gecos:home:shell}. */
    static Optional<TaskUser> parse(String line) {
        String[] f = line.split(":", -1);
        if (f.length < 7) {
            return Optional.empty();
        }
        try {
            return Optional.of(new TaskUser(f[0], Integer.parseInt(f[2]), Integer.parseInt(f[3]), f[5]));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The uid this process (the agent) runs as. */
    public static int selfUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // Not Linux: tell by the name alone.
            return ROOT.equals(System.getProperty("user.name")) ? 0 : -1;
        }
    }

    /** The user this process (the agent) runs as. */
    public static TaskUser self() {
        int uid = selfUid();
        return lookup(Integer.toString(uid))
                .orElseGet(() -> new TaskUser(System.getProperty("user.name"), uid, -1, System.getProperty("user.home")));
    }

    @Override
    public String toString() {
        return name + " (uid " + uid + ")";
    }
}
