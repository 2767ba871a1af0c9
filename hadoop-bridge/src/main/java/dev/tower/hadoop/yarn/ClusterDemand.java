package dev.tower.hadoop.yarn;

/**
 * What YARN's scheduler is waiting for, from {@code /ws/v1/cluster/metrics}: containers requested and not yet placed
 * and the memory and cores they add up to.
 */
public record ClusterDemand(long containersPending, long pendingMb, long pendingVcores) {
    public static final ClusterDemand NONE = new ClusterDemand(0, 0, 0);

    public boolean any() {
        return containersPending > 0;
    }

    /** The size of an average waiting container (memory and cores rounded up; at least one core). */
    public Capacity averageContainer() {
        if (containersPending <= 0) {
            return Capacity.ZERO;
        }
        long mb = (pendingMb + containersPending - 1) / containersPending;
        long cores = Math.max(1, (pendingVcores + containersPending - 1) / containersPending);
        return new Capacity(mb, (int) cores);
    }
}
