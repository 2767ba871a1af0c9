package dev.tower.agent.isolation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Removes task cgroups. A cgroup can only be removed once no process is left in it, and a task's processes need not
 * all be in its process group (a daemon may have called setsid), so whatever is left is killed first; killed processes
 * leave the cgroup a moment later, hence a few attempts.
 */
final class CgroupRemoval {
    private static final int ATTEMPTS = 50;
    private static final long PAUSE_MS = 20;

    private CgroupRemoval() {
    }

    /** Returns whether every directory is gone. */
    static boolean remove(List<Path> dirs) throws IOException {
        for (int attempt = 1; ; attempt++) {
            boolean gone = true;
            for (Path dir : dirs) {
                if (!Files.isDirectory(dir)) {
                    continue;
                }
                for (long pid : new ControlFiles(dir).procs()) {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                }
                try {
                    Files.delete(dir);
                } catch (IOException e) {
                    if (attempt == ATTEMPTS) {
                        throw e;
                    }
                    gone = false;
                }
            }
            if (gone) {
                return true;
            }
            try {
                Thread.sleep(PAUSE_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
