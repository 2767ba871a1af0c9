package dev.tower.manager.allocator;

import dev.tower.api.model.Resources;

import java.util.Arrays;
import java.util.Map;

/**
 * The scalar part of resources as a fixed-size array, indexed by {@link ScalarKinds}: what dominant-resource fairness
 * compares. Mutable and owned by one allocator; arithmetic in place so an allocation cycle allocates no maps.
 */
final class ScalarVector {
    final double[] v;

    ScalarVector() {
        this.v = new double[ScalarKinds.CAPACITY];
    }

    static ScalarVector of(Resources r, ScalarKinds kinds) {
        ScalarVector out = new ScalarVector();
        for (Map.Entry<String, Double> e : r.scalars().entrySet()) {
            int i = kinds.indexOf(e.getKey());
            if (i >= 0) {
                out.v[i] = e.getValue();
            }
        }
        return out;
    }

    void add(ScalarVector o) {
        for (int i = 0; i < v.length; i++) {
            v[i] += o.v[i];
        }
    }

    void subtract(ScalarVector o) {
        for (int i = 0; i < v.length; i++) {
            double d = v[i] - o.v[i];
            // Round to thousandths as Resources does, so that add-then-subtract returns to exactly zero.
            v[i] = d < 1e-9 ? 0 : Math.round(d * 1000.0) / 1000.0;
        }
    }

    /** The largest fraction of {@code total} this vector holds, over every kind the cluster has. */
    double dominantShare(ScalarVector total) {
        double max = 0;
        for (int i = 0; i < v.length; i++) {
            double t = total.v[i];
            if (t > 0) {
                double s = v[i] / t;
                if (s > max) {
                    max = s;
                }
            }
        }
        return max;
    }

    boolean isZero() {
        for (double d : v) {
            if (d != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return Arrays.toString(v);
    }
}
