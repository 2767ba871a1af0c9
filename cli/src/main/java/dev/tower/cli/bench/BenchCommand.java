package dev.tower.cli.bench;

import dev.tower.api.client.Scheduler;
import dev.tower.api.client.SchedulerClient;
import dev.tower.api.client.SchedulerDriver;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Filters;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Offer;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.cli.MasterOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code tower bench}: end-to-end figures of a running cluster over HTTP — tasks/s with a framework that launches
 * trivial tasks as fast as offers allow, and submit→RUNNING latency on an idle cluster — each printed with a
 * ratio against this machine's raw process-spawn rate and latency measured in the same run.
 */
@Command(name = "bench", hidden = true, mixinStandardHelpOptions = true,
        description = "Measure end-to-end task throughput and launch latency of a running cluster.")
public final class BenchCommand implements Callable<Integer> {
    @Mixin
    MasterOption master;

    @Option(names = "--tasks", defaultValue = "3000", description = "Tasks for the throughput run (default: ${DEFAULT-VALUE}).")
    int tasks;

    @Option(names = "--samples", defaultValue = "200", description = "Tasks for the latency run (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--in-flight", defaultValue = "400", description = "Most tasks launched and not yet finished "
            + "at any time, as a real framework paces itself; more only queues work in the agents (default: ${DEFAULT-VALUE}).")
    int inFlight;

    private static final Resources TINY = Resources.cpusMem(0.01, 1);
    private static final CommandInfo TRUE = CommandInfo.argv(List.of("true"));

    @Option(names = "--warmup", defaultValue = "3000", description = "Tasks run before the throughput run, unmeasured, "
            + "so that the JIT has compiled the hot paths of every JVM involved (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Override
    public Integer call() throws Exception {
        double[] spawn = spawnBaseline(200);
        double spawnRate = 1000.0 / mean(spawn);
        System.out.printf("baseline: raw fork+exec+wait of `setsid true` here: %.0f/s sequential, p50 %.2f ms, "
                + "p99 %.2f ms%n", spawnRate, pct(spawn, 50), pct(spawn, 99));
        int threads = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());
        double ceiling = parallelSpawnRate(2000, threads);
        System.out.printf("ceiling: raw fork+exec+wait of `setsid true` on %d threads, nothing else done: %.0f/s "
                + "(the most tasks/s this machine could launch at all)%n", threads, ceiling);

        if (warmup > 0) {
            System.out.printf("warming up with %d tasks...%n", warmup);
            throughput(warmup);
        }
        double rate = throughput(tasks);
        System.out.printf("throughput: %d tasks in %.0f tasks/s end to end (target >= 1000/s: %s); "
                        + "ratio to the raw spawn ceiling %.2f%n", tasks, rate, rate >= 1000 ? "met" : "MISSED",
                rate / ceiling);

        double[] lat = latency();
        System.out.printf("latency submit->RUNNING over %d tasks: p50 %.1f ms, p99 %.1f ms, max %.1f ms "
                        + "(target p99 <= 100 ms: %s); ratio of p99 to raw spawn p99 %.1f%n",
                samples, pct(lat, 50), pct(lat, 99), lat[lat.length - 1], pct(lat, 99) <= 100 ? "met" : "MISSED",
                pct(lat, 99) / pct(spawn, 99));
        return 0;
    }

    private static double[] spawnBaseline(int n) throws Exception {
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            new ProcessBuilder("setsid", "true").start().waitFor();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms;
    }

    private static double parallelSpawnRate(int n, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long t0 = System.nanoTime();
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                done.add(pool.submit(() -> {
                    new ProcessBuilder("setsid", "true").start().waitFor();
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            return n / ((System.nanoTime() - t0) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    private double throughput(int count) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        long[] start = new long[1];
        Scheduler s = new Scheduler() {
            @Override
            public void offers(SchedulerDriver d, List<Offer> offers) {
                for (Offer o : offers) {
                    List<TaskInfo> launch = new ArrayList<>();
                    Resources left = o.resources();
                    while (next.get() < count && left.contains(TINY) && next.get() - finished.get() < inFlight) {
                        String id = "t" + next.getAndIncrement();
                        launch.add(new TaskInfo(id, id, null, TINY, TRUE, 0.0, Map.of()));
                        left = left.minus(TINY);
                    }
                    if (start[0] == 0 && !launch.isEmpty()) {
                        start[0] = System.nanoTime();
                    }
                    if (launch.isEmpty()) {
                        d.decline(List.of(o.id()), Filters.refuse(next.get() < count ? 0.05 : 60));
                    } else {
                        d.launch(List.of(o.id()), launch, Filters.refuse(0));
                    }
                }
            }

            @Override
            public void update(SchedulerDriver d, TaskStatus st) {
                if (st.state().isTerminal() && st.uuid() != null && finished.incrementAndGet() == count) {
                    done.countDown();
                }
            }
        };
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-progress");
            t.setDaemon(true);
            return t;
        });
        int[] last = new int[1];
        progress.scheduleAtFixedRate(() -> {
            int now = finished.get();
            System.err.printf("  %d of %d tasks finished (%.0f/s over the last 5 s)%n", now, count, (now - last[0]) / 5.0);
            last[0] = now;
        }, 5, 5, TimeUnit.SECONDS);
        try (SchedulerClient c = client("bench-throughput", s)) {
            c.start();
            if (!done.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("only " + finished.get() + " of " + count + " tasks finished in 10 min");
            }
            double secs = (System.nanoTime() - start[0]) / 1e9;
            c.teardown().get(10, TimeUnit.SECONDS);
            return count / secs;
        } finally {
            progress.shutdownNow();
        }
    }

    private double[] latency() throws Exception {
        double[] ms = new double[samples];
        Map<String, Long> sent = new ConcurrentHashMap<>();
        AtomicInteger launched = new AtomicInteger();
        AtomicInteger running = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        boolean[] inFlight = new boolean[1];
        Scheduler s = new Scheduler() {
            @Override
            public void offers(SchedulerDriver d, List<Offer> offers) {
                for (Offer o : offers) {
                    if (inFlight[0] || launched.get() >= samples || !o.resources().contains(TINY)) {
                        d.decline(List.of(o.id()), Filters.refuse(0.05));
                        continue;
                    }
                    inFlight[0] = true;
                    String id = "l" + launched.getAndIncrement();
                    sent.put(id, System.nanoTime());
                    d.launch(List.of(o.id()), List.of(new TaskInfo(id, id, null, TINY, TRUE, 0.0, Map.of())),
                            Filters.refuse(0.05));
                }
            }

            @Override
            public void update(SchedulerDriver d, TaskStatus st) {
                Long t0 = sent.get(st.taskId());
                if (st.state() == TaskState.RUNNING && t0 != null && st.uuid() != null) {
                    int i = running.getAndIncrement();
                    if (i < samples) {
                        ms[i] = (System.nanoTime() - t0) / 1e6;
                    }
                }
                if (st.state().isTerminal() && st.uuid() != null) {
                    inFlight[0] = false;
                    if (running.get() >= samples) {
                        done.countDown();
                    }
                }
            }
        };
        try (SchedulerClient c = client("bench-latency", s)) {
            c.start();
            if (!done.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("latency run incomplete: " + running.get() + " of " + samples);
            }
            c.teardown().get(10, TimeUnit.SECONDS);
        }
        Arrays.sort(ms);
        return ms;
    }

    private SchedulerClient client(String name, Scheduler s) {
        FrameworkInfo info = new FrameworkInfo(null, name, "bench", null, null, null, 0.0, List.of());
        return SchedulerClient.builder(master.url(), info, s).security(master.security())
                .requestTimeout(Duration.ofSeconds(30)).build();
    }

    private static double mean(double[] v) {
        double sum = 0;
        for (double d : v) {
            sum += d;
        }
        return sum / v.length;
    }

    private static double pct(double[] sorted, double p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
