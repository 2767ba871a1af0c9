package dev.tower.agent.containerizer;

import dev.tower.api.model.CommandInfo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The command line that starts a process task: {@code setsid /bin/sh -c SCRIPT}, where the shell runs the task as a
 * subshell, waits for it, and records its exit status in an {@link ExitStatusFile} before exiting with that same
 * status. {@code setsid} puts the task in a session of its own, so the shell's pid is also the task's process group
 * and a signal to the group reaches everything the task started.
 *
 * <p>The recording is what lets an agent restarted after a crash report the real exit status of a task that ended
 * while it was down, or of a task it found still running and watched to its end: neither is its child any more, so
 * only the task's own shell can see the status. For a shell command it costs no extra process and no extra exec with
 * dash 0.5.12 as {@code /bin/sh}: {@code sh -c} already stayed in memory as the parent of the command it ran, and the
 * subshell execs the command's last simple command itself; what it adds is a fork of the small shell in place of a
 * vfork, and the write of the file. An argv command used to be exec'd by {@code setsid} directly, and now costs one more exec (the shell),
 * which no recording of its status can avoid: some process must stay behind to wait for it.
 *
 * <p>The task runs exactly as {@code sh -c COMMAND} ran it before, one level down: same {@code $0}, no arguments,
 * default signal dispositions, its own traps, {@code exit N} and {@code exec} as usual, its status the subshell's
 * ({@code N}, or 128 + S for a death by signal S, as Java reports a process killed by a signal). The waiting shell
 * traps the signals a task may be sent as a group ({@code HUP INT QUIT TERM USR1 USR2 ALRM}) with a no-op, which a
 * subshell resets to the default, so a SIGTERM from the agent leaves the shell waiting for the task's own reaction to
 * it, as a task exec'd directly would have it. Differences: the whole command is parsed before any of it runs (a
 * syntax error anywhere runs nothing; the exit status is 2 either way), and {@code $$} names the waiting shell, which
 * ignores those signals when sent to it alone: signal the group ({@code kill -- -PID}), as the agent does.
 *
 * <p>An argv command runs as {@code exec "$0" "$@"} in the subshell: {@code exec} looks the program up on
 * {@code PATH} as {@code setsid} did, never as a shell builtin, and passes the arguments untouched.
 *
 * <p>A task that runs as another user than the agent's (the agent is root then) is started by the subshell through
 * {@code setpriv --reuid=UID --regid=GID --init-groups --}: a shell command as {@code /bin/sh -c COMMAND}, an argv
 * command as its program. The waiting shell stays the agent's user: it joins the task's cgroups (which takes root)
 * before it forks, so the task starts inside them, and it writes the exit status into the agent's checkpoint
 * directory, which the task's user cannot write. In that case {@code $$} names the task's own shell.
 */
final class TaskCommand {
    /** Signals the waiting shell survives; a task is sent them as a group and decides itself whether it ends. */
    private static final String SURVIVED_SIGNALS = "HUP INT QUIT TERM USR1 USR2 ALRM";
    /** The status of a task that did not run because its shell could not join the task's cgroups. */
    static final int CANNOT_JOIN = 125;

    private TaskCommand() {
    }

    /**
     * @param cgroupProcsFiles files the shell writes its own pid into before it forks the task (joining the task's
     *                         cgroups, so no process of the task starts outside them); if it cannot, the task does not
     *                         run and the shell records status {@value #CANNOT_JOIN}
     */
    static List<String> of(CommandInfo cmd, Path exitStatusFile, List<Path> cgroupProcsFiles) {
        return of(cmd, exitStatusFile, cgroupProcsFiles, null, null);
    }

    /**
     * @param user the user the task runs as, when not the agent's own; null to run it as the agent's
     * @param setpriv the {@code setpriv} program that starts it as {@code user}
     */
    static List<String> of(CommandInfo cmd, Path exitStatusFile, List<Path> cgroupProcsFiles, TaskUser user,
                           Path setpriv) {
        String switchUser = user == null ? "" : "exec " + quote(setpriv.toString()) + " --reuid=" + user.uid()
                + " --regid=" + user.gid() + " --init-groups -- ";
        List<String> argv = new ArrayList<>();
        argv.add("setsid");
        argv.add("/bin/sh");
        argv.add("-c");
        if (cmd.isShell()) {
            String task = user == null ? cmd.value() : switchUser + "/bin/sh -c " + quote(cmd.value());
            argv.add(script(task, exitStatusFile, cgroupProcsFiles));
        } else {
            String task = user == null ? "exec \"$0\" \"$@\"" : switchUser + "\"$0\" \"$@\"";
            argv.add(script(task, exitStatusFile, cgroupProcsFiles));
            argv.add(cmd.value());
            // arguments[0] is argv[0], which neither ProcessBuilder nor exec can set; the executable stands in for it.
            argv.addAll(cmd.arguments().isEmpty() ? List.of() : cmd.arguments().subList(1, cmd.arguments().size()));
        }
        return argv;
    }

    /**
     * The task starts on the script's first line, so the shell's messages name the same line numbers as before; the
     * newline before {@code )} keeps a trailing comment of the task from swallowing it.
     */
    private static String script(String task, Path exitStatusFile, List<Path> cgroupProcsFiles) {
        StringBuilder join = new StringBuilder();
        for (Path f : cgroupProcsFiles) {
            join.append(join.length() == 0 ? "" : " && ").append("echo $$ >").append(quote(f.toString()));
        }
        String run = "( " + task + "\n); s=$?";
        if (join.length() > 0) {
            run = "if " + join + "; then " + run + "; else echo 'tower: cannot put the task in its cgroup' >&2; s="
                    + CANNOT_JOIN + "; fi";
        }
        return "trap : " + SURVIVED_SIGNALS + "; " + run + "; printf '%d\\n' \"$s\" 2>/dev/null >|"
                + quote(exitStatusFile.toAbsolutePath().toString()) + "; exit \"$s\"";
    }

    /** {@code setpriv} (util-linux) where a root agent may trust it: a system directory, not the task's PATH. */
    static Optional<Path> setpriv() {
        return Stream.of("/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv", "/sbin/setpriv").map(Path::of)
                .filter(Files::isExecutable).findFirst();
    }

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
