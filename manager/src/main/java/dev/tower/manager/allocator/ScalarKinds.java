package dev.tower.manager.allocator;

import java.util.HashMap;
import java.util.Map;

/**
 * Gives each scalar resource name a slot in {@link ScalarVector}. The first names are fixed; others get slots as
 * agents bring them, up to {@link #CAPACITY} (names beyond that are offered but take no part in fairness).
 */
final class ScalarKinds {
    static final int CAPACITY = 8;
    private final Map<String, Integer> index = new HashMap<>();

    ScalarKinds() {
        indexOf("cpus");
        indexOf("mem");
        indexOf("disk");
        indexOf("gpus");
    }

    int indexOf(String name) {
        Integer i = index.get(name);
        if (i != null) {
            return i;
        }
        if (index.size() >= CAPACITY) {
            return -1;
        }
        int next = index.size();
        index.put(name, next);
        return next;
    }
}
