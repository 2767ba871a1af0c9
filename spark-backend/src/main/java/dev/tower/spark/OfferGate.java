package dev.tower.spark;

import dev.tower.api.client.SchedulerDriver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Opens and closes the flow of offers. Once the application has every executor it wants it suppresses offers, so
 * Tower offers its resources to other frameworks instead of to an application that would only decline them; when it
 * wants more (a dynamic-allocation request, a lost executor) it revives, which also clears the long filters of
 * earlier declines. Calls are sent one after another: a REVIVE overtaking the SUPPRESS before it would leave the
 * application without offers while it waits for executors.
 */
final class OfferGate {
    private static final Logger LOG = LoggerFactory.getLogger(OfferGate.class);

    private final SchedulerDriver driver;
    private CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
    private boolean suppressed;
    /** Offers are held back (suppressed, or declined with a long filter) and new demand must ask for them again. */
    private boolean heldBack;

    OfferGate(SchedulerDriver driver) {
        this.driver = driver;
    }

    /** The application has all it wants: stop offers until {@link #wantMore}. */
    synchronized void satisfied() {
        heldBack = true;
        if (!suppressed) {
            suppressed = true;
            send("suppress", driver::suppress);
        }
    }

    /** Some offers were declined for long; new demand must revive to see those agents again before the filter ends. */
    synchronized void declinedForLong() {
        heldBack = true;
    }

    /** The application wants more executors: revive if offers were held back. */
    synchronized void wantMore() {
        if (heldBack) {
            heldBack = false;
            suppressed = false;
            send("revive", driver::revive);
        }
    }

    /**
     * After re-subscribing, the master's view of our suppression is unknown; say again what we want.
     *
     * @param wanting whether the application wants more executors now
     */
    synchronized void resubscribed(boolean wanting) {
        suppressed = false;
        heldBack = true;
        if (wanting) {
            wantMore();
        } else {
            satisfied();
        }
    }

    /** A lost call leaves the master's state unknown: let the next change of demand ask again. */
    private synchronized void failed() {
        heldBack = true;
        suppressed = false;
    }

    synchronized boolean isSuppressed() {
        return suppressed;
    }

    private void send(String what, Supplier<CompletableFuture<Void>> call) {
        last = last.handle((ok, error) -> null).thenCompose(x -> call.get()).whenComplete((ok, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                LOG.info("Tower {} call failed (sent again on the next change of demand): {}", what, cause.getMessage());
                failed();
            }
        });
    }
}
