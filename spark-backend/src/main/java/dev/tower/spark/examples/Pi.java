package dev.tower.spark.examples;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Estimates pi by sampling points of the unit square and counting those inside the quarter circle, one slice of the
 * samples per partition: {@code Pi [PARTITIONS [SAMPLES_PER_PARTITION]]} (defaults 10 and 1,000,000).
 *
 * <p>The points are a Halton sequence (bases 2 and 3) rather than pseudo-random numbers: partition {@code p} takes
 * points {@code p*S .. (p+1)*S-1} of one global sequence. The answer is then the same on every run and for any
 * split into partitions, and its error shrinks like {@code 1/n} rather than {@code 1/sqrt(n)}: with 1,000,000 points
 * or more it is right to at least 4 decimals. The output line is {@code Pi is roughly 3.14…}.
 */
public final class Pi {
    private Pi() {
    }

    public static void main(String[] args) {
        int partitions = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        long perPartition = args.length > 1 ? Long.parseLong(args[1]) : 1_000_000L;
        if (partitions < 1 || perPartition < 1) {
            throw new IllegalArgumentException("usage: Pi [PARTITIONS >= 1 [SAMPLES_PER_PARTITION >= 1]]");
        }
        SparkConf conf = new SparkConf().setAppName("Pi");
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            List<Integer> slices = new ArrayList<>(partitions);
            for (int i = 0; i < partitions; i++) {
                slices.add(i);
            }
            long inside = sc.parallelize(slices, partitions)
                    .map(p -> countInside((long) p * perPartition, perPartition))
                    .reduce(Long::sum);
            double pi = 4.0 * inside / ((double) partitions * perPartition);
            System.out.println("Pi is roughly " + pi);
        }
    }

    /** Points {@code first .. first+count-1} of the Halton sequence that fall inside the unit quarter circle. */
    static long countInside(long first, long count) {
        long inside = 0;
        for (long i = first + 1, end = first + count + 1; i < end; i++) {
            double x = radicalInverse(i, 2);
            double y = radicalInverse(i, 3);
            if (x * x + y * y <= 1.0) {
                inside++;
            }
        }
        return inside;
    }

    /** The van der Corput radical inverse of {@code i} in {@code base}: its digits mirrored behind the point. */
    static double radicalInverse(long i, int base) {
        double result = 0;
        double scale = 1.0 / base;
        while (i > 0) {
            result += (i % base) * scale;
            i /= base;
            scale /= base;
        }
        return result;
    }
}
