package dev.tower.manager.bench;

import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Tasks per second through {@code MasterCore.handle}, with no HTTP: see {@link CoreSimulation}. Every core command
 * (subscriptions aside) is in the measured time: offers, accepts with launches, RUNNING and FINISHED updates,
 * acknowledgements, ticks; so is the simulated agents' and frameworks' (small) work of making their calls.
 *
 * <p>The primary score is core commands per second; the {@code tasks} counter is tasks launched and finished (FINISHED
 * acknowledged) per second: target at least 10,000/s with 1,000 agents. The 10-agent case, measured in the same run,
 * is the baseline: their ratio shows what the cluster's size costs per task.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgs = {"-Xms2g", "-Xmx2g"})
public class CoreThroughputBenchmark {

    @Param({"1000", "10"})
    int agents;

    @Param("20")
    int frameworks;

    @Param("5")
    int roles;

    /** Cap on the tasks one ACCEPT launches; an empty agent fits 64 of the 0.25-cpu, 1 GiB tasks. */
    @Param("64")
    int maxTasksPerOffer;

    private CoreSimulation sim;

    /** Per-iteration counts; JMH divides them by the iteration's time. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counts {
        public long tasks;
        public long offers;

        @Setup(Level.Iteration)
        public void clear() {
            tasks = 0;
            offers = 0;
        }
    }

    @Setup(Level.Trial)
    public void build() {
        sim = new CoreSimulation(agents, frameworks, roles, maxTasksPerOffer);
    }

    @Benchmark
    public void command(Counts counts) {
        long finishedBefore = sim.finished;
        long offersBefore = sim.offers;
        sim.step();
        counts.tasks += sim.finished - finishedBefore;
        counts.offers += sim.offers - offersBefore;
    }
}
