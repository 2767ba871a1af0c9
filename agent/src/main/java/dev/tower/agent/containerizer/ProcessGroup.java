package dev.tower.agent.containerizer;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Signals a whole process group. Each task runs in its own session, so its pid is also its process group id and a
 * signal to the group reaches everything the task started, even children that outlive its main process.
 *
 * <p>The signal is sent with {@code kill(2)} directly: every task end signals its group once, and spawning the
 * {@code kill} command for it would cost as much as launching the task. The command stays as the fallback for a
 * machine where the native bridge cannot load.
 */
final class ProcessGroup {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessGroup.class);
    private static final int ESRCH = 3;

    private ProcessGroup() {
    }

    enum Signal {
        TERM(15), KILL(9);

        final int number;

        Signal(int number) {
            this.number = number;
        }
    }

    /** Returns whether any process received the signal (false once the group is gone). */
    static boolean signal(long pgid, Signal signal) {
        if (pgid <= 1) {
            throw new IllegalArgumentException("not a task's process group: " + pgid);
        }
        if (LibC.AVAILABLE) {
            try {
                return LibC.kill(-(int) pgid, signal.number) == 0;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != ESRCH) {
                    LOG.warn("cannot send SIG{} to process group {}: errno {}", signal, pgid, e.getErrorCode());
                }
                return false;
            }
        }
        return signalWithCommand(pgid, signal);
    }

    private static boolean signalWithCommand(long pgid, Signal signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal.name(), "--", "-" + pgid)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return kill.waitFor() == 0;
        } catch (IOException e) {
            LOG.warn("cannot send SIG{} to process group {}: {}", signal, pgid, e.toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static final class LibC {
        static final boolean AVAILABLE = register();

        static native int kill(int pid, int sig) throws LastErrorException;

        private static boolean register() {
            try {
                Native.register(LibC.class, Platform.C_LIBRARY_NAME);
                return true;
            } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
                LoggerFactory.getLogger(ProcessGroup.class)
                        .warn("native kill(2) unavailable ({}); signalling tasks with the kill command", e.toString());
                return false;
            }
        }
    }
}
