package dev.tower.manager.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads JMH JSON results ({@code -rf json}) of one {@code bench/run.sh} run and prints each figure as a ratio
 * against its target and against the baseline measured in the same run.
 * Usage: {@code BenchReport result.json...}. Exits 0 whether or not targets are met: it reports, it does not judge.
 */
public final class BenchReport {
    static final double CYCLE_TARGET_MS = 35;
    static final double MESOS_CYCLE_MS = 3_530;
    static final double TASKS_TARGET_PER_S = 10_000;

    private final List<JsonNode> runs = new ArrayList<>();

    public static void main(String[] args) throws IOException {
        BenchReport r = new BenchReport();
        ObjectMapper json = new ObjectMapper();
        for (String a : args) {
            File f = new File(a);
            if (f.exists()) {
                json.readTree(f).forEach(r.runs::add);
            }
        }
        r.allocator();
        r.core();
    }

    private JsonNode find(String benchmarkSuffix, String param, String value) {
        for (JsonNode n : runs) {
            if (n.path("benchmark").asText().endsWith(benchmarkSuffix)
                    && (param == null || value.equals(n.path("params").path(param).asText()))) {
                return n;
            }
        }
        return null;
    }

    private void allocator() {
        JsonNode tower = find("AllocatorCycleBenchmark.allocateAll", null, null);
        JsonNode naive = find("NaiveAllocatorBenchmark.allocateAll", null, null);
        if (tower == null && naive == null) {
            return;
        }
        System.out.println();
        System.out.println("== Allocation cycle: allocateAll, 10,000 agents x 1,000 frameworks in 10 weighted roles ==");
        double median = Double.NaN;
        if (tower != null) {
            JsonNode p = tower.path("primaryMetric");
            median = pct(p, "50.0");
            System.out.printf("Tower allocator       median %8.2f ms   p99 %8.2f ms   mean %8.2f ms   max %8.2f ms   (%d cycles)%n",
                    median, pct(p, "99.0"), p.path("score").asDouble(), pct(p, "100.0"), samples(p));
        }
        double naiveMedian = Double.NaN;
        if (naive != null) {
            JsonNode p = naive.path("primaryMetric");
            naiveMedian = pct(p, "50.0");
            System.out.printf("naive DRF baseline    median %8.2f ms   min %8.2f ms   max %8.2f ms   (%d cycles, rebuild + sort per agent)%n",
                    naiveMedian, pct(p, "0.0"), pct(p, "100.0"), samples(p));
        }
        if (tower != null) {
            System.out.printf("median vs target %.0f ms: %.3f of the target -> %s%n", CYCLE_TARGET_MS,
                    median / CYCLE_TARGET_MS, median <= CYCLE_TARGET_MS ? "MET" : "MISSED");
        }
        if (tower != null && naive != null) {
            System.out.printf("speed-up vs naive baseline (same run, median/median): %.0fx%n", naiveMedian / median);
        }
        if (tower != null) {
            System.out.printf("(for reference, not measured here: Mesos's %.2f s / Tower median = %.0fx)%n",
                    MESOS_CYCLE_MS / 1000, MESOS_CYCLE_MS / median);
        }
    }

    private void core() {
        List<JsonNode> cases = new ArrayList<>();
        for (JsonNode n : runs) {
            if (n.path("benchmark").asText().endsWith("CoreThroughputBenchmark.command")) {
                cases.add(n);
            }
        }
        if (cases.isEmpty()) {
            return;
        }
        System.out.println();
        System.out.println("== Tasks through MasterCore.handle (launch, RUNNING, FINISHED, acks; no HTTP) ==");
        for (JsonNode n : cases) {
            JsonNode sec = n.path("secondaryMetrics");
            double tasks = sec.path("tasks").path("score").asDouble();
            double offers = sec.path("offers").path("score").asDouble();
            System.out.printf("%5s agents, %s frameworks: %9.0f tasks/s (+- %.0f)   %9.0f commands/s   %.1f tasks/offer%n",
                    n.path("params").path("agents").asText(), n.path("params").path("frameworks").asText(), tasks,
                    sec.path("tasks").path("scoreError").asDouble(), n.path("primaryMetric").path("score").asDouble(),
                    offers > 0 ? tasks / offers : Double.NaN);
        }
        JsonNode big = find("CoreThroughputBenchmark.command", "agents", "1000");
        JsonNode small = find("CoreThroughputBenchmark.command", "agents", "10");
        if (big != null) {
            double t = big.path("secondaryMetrics").path("tasks").path("score").asDouble();
            System.out.printf("1,000 agents vs target %.0f tasks/s: %.2fx the target -> %s%n", TASKS_TARGET_PER_S,
                    t / TASKS_TARGET_PER_S, t >= TASKS_TARGET_PER_S ? "MET" : "MISSED");
            if (small != null) {
                double s = small.path("secondaryMetrics").path("tasks").path("score").asDouble();
                System.out.printf("1,000 agents vs 10-agent baseline (same run): %.2f of its tasks/s%n", t / s);
            }
        }
    }

    private static double pct(JsonNode primary, String p) {
        return primary.path("scorePercentiles").path(p).asDouble(Double.NaN);
    }

    /** Sample mode: rawDataHistogram[fork][iteration][bucket] = [value, count]; other modes: rawData[fork][value]. */
    private static long samples(JsonNode primary) {
        long n = 0;
        for (JsonNode fork : primary.path("rawDataHistogram")) {
            for (JsonNode iteration : fork) {
                for (JsonNode bucket : iteration) {
                    n += bucket.get(1).asLong();
                }
            }
        }
        if (n == 0) {
            for (JsonNode fork : primary.path("rawData")) {
                n += fork.size();
            }
        }
        return n;
    }
}
