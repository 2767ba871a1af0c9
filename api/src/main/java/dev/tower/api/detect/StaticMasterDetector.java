package dev.tower.api.detect;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/** A fixed list of masters, {@code host:port[,host:port]}; the last one seen leading is tried first. */
public final class StaticMasterDetector implements MasterDetector {
    private final List<URI> masters;
    private volatile URI leader;

    public StaticMasterDetector(List<URI> masters) {
        if (masters.isEmpty()) {
            throw new IllegalArgumentException("no master address given");
        }
        this.masters = List.copyOf(masters);
    }

    @Override
    public List<URI> candidates() {
        URI l = leader;
        if (l == null) {
            return masters;
        }
        List<URI> out = new ArrayList<>(masters.size() + 1);
        out.add(l);
        for (URI m : masters) {
            if (!m.equals(l)) {
                out.add(m);
            }
        }
        return out;
    }

    @Override
    public void leaderSeen(URI uri) {
        leader = uri;
    }

    @Override
    public String toString() {
        return masters.toString();
    }
}
