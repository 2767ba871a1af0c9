package dev.tower.manager.bench;

import dev.tower.manager.allocator.Allocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The baseline for {@link AllocatorCycleBenchmark}: the same full cycle over the same cluster with
 * {@link NaiveDrfAllocator} (rebuild and sort all frameworks for each agent). Single shots: one cycle takes seconds.
 * Before measuring it checks that the naive allocator makes exactly Tower's grants, so the two compare like with like.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgs = {"-Xms2g", "-Xmx2g"})
public class NaiveAllocatorBenchmark {

    @Param("10000")
    int agents;

    @Param("1000")
    int frameworks;

    private NaiveDrfAllocator naive;

    @Setup(Level.Trial)
    public void build() {
        AllocatorFixture fx = new AllocatorFixture(agents, frameworks);
        naive = new NaiveDrfAllocator(fx);
        List<Allocator.Grant> expected = fx.build().allocateAll(1_000_000);
        List<Allocator.Grant> actual = naive.allocateAll();
        if (!expected.equals(actual)) {
            int i = 0;
            while (i < Math.min(expected.size(), actual.size()) && expected.get(i).equals(actual.get(i))) {
                i++;
            }
            throw new IllegalStateException("naive baseline disagrees with Tower's allocator at grant " + i + " of "
                    + expected.size() + "/" + actual.size() + ": "
                    + (i < expected.size() ? expected.get(i) : "-") + " vs " + (i < actual.size() ? actual.get(i) : "-"));
        }
        naive.reset();
    }

    @Benchmark
    public List<Allocator.Grant> allocateAll() {
        return naive.allocateAll();
    }

    @TearDown(Level.Invocation)
    public void reset() {
        naive.reset();
    }
}
