package dev.tower.api.model;

/** How long the master should not re-offer declined resources of the same agent to this framework. */
public record Filters(Double refuseSeconds) {
    public static final double DEFAULT_REFUSE_SECONDS = 5.0;

    public static Filters refuse(double seconds) {
        return new Filters(seconds);
    }

    public double refuse() {
        return refuseSeconds == null ? DEFAULT_REFUSE_SECONDS : refuseSeconds;
    }
}
