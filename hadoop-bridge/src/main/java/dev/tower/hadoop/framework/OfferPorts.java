package dev.tower.hadoop.framework;

import dev.tower.api.model.Range;
import dev.tower.api.model.Resources;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Ports taken from an offer's {@code ports} ranges for a daemon to listen on. */
record OfferPorts(List<Integer> ports) {

    /** The lowest {@code n} ports of {@code available}, or empty when it has fewer. */
    static Optional<OfferPorts> take(Resources available, int n) {
        List<Integer> out = new ArrayList<>(n);
        for (Range r : available.ranges(Resources.PORTS)) {
            for (long p = r.begin(); p <= r.end() && out.size() < n; p++) {
                out.add((int) p);
            }
        }
        return out.size() == n ? Optional.of(new OfferPorts(List.copyOf(out))) : Optional.empty();
    }

    Resources asResources() {
        return Resources.ranges(Resources.PORTS, ports.stream().map(p -> new Range(p, p)).toList());
    }
}
