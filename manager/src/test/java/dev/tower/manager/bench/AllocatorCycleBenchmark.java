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
 * One full allocation cycle of Tower's allocator ({@link Allocator#allocateAll}) over 10,000 agents and 1,000
 * frameworks in 10 weighted roles. Target: median at most 35 ms (Mesos's allocator: 3.53 s for this case).
 *
 * <p>Every invocation starts from the same state: the grants of the measured cycle are recovered in an
 * invocation-level tear-down, which JMH does not time. Sample mode, so JMH reports the median and p99.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xms2g", "-Xmx2g"})
public class AllocatorCycleBenchmark {

    @Param("10000")
    int agents;

    @Param("1000")
    int frameworks;

    private Allocator allocator;
    private List<Allocator.Grant> grants;
    private long now;

    @Setup(Level.Trial)
    public void build() {
        allocator = new AllocatorFixture(agents, frameworks).build();
        now = 1_000_000;
    }

    @Benchmark
    public List<Allocator.Grant> allocateAll() {
        grants = allocator.allocateAll(now);
        return grants;
    }

    /** Gives back everything the cycle granted: the allocator is as before the cycle. Not measured. */
    @TearDown(Level.Invocation)
    public void recoverGrants() {
        if (grants.size() != agents) {
            throw new IllegalStateException("expected every agent granted, got " + grants.size() + " grants");
        }
        for (Allocator.Grant g : grants) {
            allocator.recover(g.agentId(), g.frameworkId(), g.resources());
        }
        grants = null;
    }
}
