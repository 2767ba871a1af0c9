package dev.tower.it;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/** Prints the tails of the cluster processes' logs when a test fails. */
public final class LogsOnFailure implements TestWatcher {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        System.err.println("#### " + context.getDisplayName() + " failed: " + cause + "; process logs follow");
        for (Cluster c : Cluster.LIVE) {
            c.printLogTails();
        }
    }
}
