package dev.tower.spark;

import dev.tower.api.model.Offer;
import dev.tower.api.model.Resources;

import java.util.List;

/**
 * The answer to one batch of offers: every offer is either used to launch executors or declined, never kept.
 *
 * @param stillWanted executors wanted after these launches; zero means the application has all it asked for
 */
public record OfferPlan(List<Launch> launches, List<Decline> declines, int stillWanted) {
    public OfferPlan {
        launches = List.copyOf(launches);
        declines = List.copyOf(declines);
    }

    public boolean satisfied() {
        return stillWanted == 0;
    }

    public int executorsLaunched() {
        return launches.stream().mapToInt(Launch::executors).sum();
    }

    /**
     * Launch {@code executors} executors of {@code perExecutor} each on {@code offer}.
     *
     * @param refuseSeconds how long the rest of the offer should stay away
     */
    public record Launch(Offer offer, int executors, Resources perExecutor, double refuseSeconds) {
    }

    /** @param reason for a person reading the driver's log */
    public record Decline(Offer offer, String reason, double refuseSeconds) {
    }
}
