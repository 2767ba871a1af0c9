package dev.tower.cli.output;

import dev.tower.api.model.Resources;

/** Short renderings of resources and numbers for tables. */
public final class Format {
    private Format() {
    }

    public static String cpusMem(Resources r) {
        return num(r.cpus()) + " cpu / " + num(r.mem()) + " MB";
    }

    public static String num(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.format("%.2f", d);
    }

    public static String percent(double share) {
        return String.format("%.1f%%", share * 100);
    }
}
