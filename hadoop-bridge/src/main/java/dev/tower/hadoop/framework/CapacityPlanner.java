package dev.tower.hadoop.framework;

import dev.tower.hadoop.yarn.Capacity;
import dev.tower.hadoop.yarn.ClusterDemand;
import dev.tower.hadoop.yarn.NodeReport;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Decides, from YARN's demand and nodes, how much to grow and which placeholders to give back. Pure. */
final class CapacityPlanner {
    private CapacityPlanner() {
    }

    /**
     * How many containers of {@code demand}'s average size YARN is waiting for beyond the room its nodes have, or
     * will have once placeholders already launched start: the number of placeholders to add.
     *
     * @param reports by slot task id; a slot without one has not registered yet and counts with its whole promise
     */
    static long containersToAdd(ClusterDemand demand, List<NodeManagerSlot> slots, Map<String, NodeReport> reports) {
        if (!demand.any()) {
            return 0;
        }
        Capacity unit = demand.averageContainer();
        long room = 0;
        for (NodeManagerSlot s : slots) {
            NodeReport r = reports.get(s.taskId);
            Capacity used = r == null ? Capacity.ZERO : r.used();
            room += s.promised().minus(used).fits(unit);
        }
        return Math.max(0, demand.containersPending() - room);
    }

    /**
     * The placeholders of {@code slot} to release now: while YARN waits for nothing, those (newest first) whose room
     * has stayed unused by containers for {@code idleDelay}. Updates each placeholder's idle clock.
     */
    static List<Placeholder> toRelease(NodeManagerSlot slot, NodeReport report, ClusterDemand demand, Instant now,
                                       Duration idleDelay) {
        List<Placeholder> out = new ArrayList<>();
        if (demand.any() || report == null) {
            slot.all().forEach(p -> p.idleSince = null);
            return out;
        }
        Capacity free = slot.held().minus(report.used());
        for (Placeholder p : slot.newestFirst()) {
            if (!p.held()) {
                continue;
            }
            if (!free.covers(p.capacity)) {
                p.idleSince = null;
                continue;
            }
            if (p.idleSince == null) {
                p.idleSince = now;
            }
            // Its room is spoken for, whether it goes now or later: the next one needs room of its own.
            free = free.minus(p.capacity);
            if (!now.isBefore(p.idleSince.plus(idleDelay))) {
                out.add(p);
            }
        }
        return out;
    }
}
