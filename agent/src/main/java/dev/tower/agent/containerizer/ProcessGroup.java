package dev.tower.agent.containerizer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Signals a whole process group. Each task runs in its own session, so its pid is also its process group id and a
 * signal to the group reaches everything the task started, even children that outlive its main process.
 */
final class ProcessGroup {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessGroup.class);

    private ProcessGroup() {
    }

    /** Returns whether any process received the signal (false once the group is gone). */
    static boolean signal(long pgid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, "--", "-" + pgid)
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
}
