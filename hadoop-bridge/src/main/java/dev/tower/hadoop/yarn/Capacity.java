package dev.tower.hadoop.yarn;

/** An amount of YARN resources: memory in MB and virtual cores, as a NodeManager's capability or a container's size. */
public record Capacity(long memoryMb, int vcores) {
    public static final Capacity ZERO = new Capacity(0, 0);

    public Capacity {
        if (memoryMb < 0 || vcores < 0) {
            throw new IllegalArgumentException("capacity must not be negative: " + memoryMb + " MB, " + vcores + " vcores");
        }
    }

    public Capacity plus(Capacity o) {
        return new Capacity(memoryMb + o.memoryMb, vcores + o.vcores);
    }

    /** This minus {@code o}, never below zero. */
    public Capacity minus(Capacity o) {
        return new Capacity(Math.max(0, memoryMb - o.memoryMb), Math.max(0, vcores - o.vcores));
    }

    public Capacity times(int n) {
        return new Capacity(memoryMb * n, vcores * n);
    }

    public boolean covers(Capacity o) {
        return memoryMb >= o.memoryMb && vcores >= o.vcores;
    }

    /** Each dimension the larger of the two. */
    public Capacity atLeast(Capacity o) {
        return new Capacity(Math.max(memoryMb, o.memoryMb), Math.max(vcores, o.vcores));
    }

    /** How many of {@code unit} fit in this (a unit of zero memory fits by vcores alone). */
    public long fits(Capacity unit) {
        long byMem = unit.memoryMb == 0 ? Long.MAX_VALUE : memoryMb / unit.memoryMb;
        long byCores = unit.vcores == 0 ? Long.MAX_VALUE : vcores / unit.vcores;
        long n = Math.min(byMem, byCores);
        return n == Long.MAX_VALUE ? 0 : n;
    }

    @Override
    public String toString() {
        return "<memory:" + memoryMb + ", vCores:" + vcores + ">";
    }
}
