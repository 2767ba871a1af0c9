package dev.tower.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tower.api.client.MasterHttp;
import dev.tower.api.client.SchedulerClient;
import dev.tower.api.codec.Json;
import dev.tower.api.detect.MasterUrls;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.operator.RoleView;
import dev.tower.cli.cluster.LocalCluster;
import dev.tower.cli.demo.GreedyFramework;
import dev.tower.cli.output.Format;
import dev.tower.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code tower demo}: a local cluster with two frameworks competing under weighted DRF. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Start a local cluster (1 master, 2 agents) and two frameworks in roles weighted 1:3 that both",
                "want the whole cluster; print the shares they end up with and the cluster state. Runs until Ctrl-C."})
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "5050", description = "Master port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--duration", converter = DurationConverter.class,
            description = "Stop after this long instead of waiting for Ctrl-C (e.g. 30s).")
    Duration duration;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("tower-demo-");
        PrintWriter out = new PrintWriter(System.out, true);
        Map<String, Double> weights = Map.of("analytics", 1.0, "etl", 3.0);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "tower-demo-shutdown"));
        try (LocalCluster cluster = LocalCluster.start(dir, port, 2,
                Resources.parse("cpus:4;mem:4096;disk:10000"), weights)) {
            if (!cluster.awaitAgents(Duration.ofSeconds(60))) {
                throw new IllegalStateException("agents did not register within 60 s");
            }
            out.println("Tower master ready at " + cluster.masterUrl());
            out.println("Two frameworks compete for 8 CPUs: 'analytics' (weight 1) and 'etl' (weight 3).");
            out.println("Expect DRF to settle at dominant shares of about 25% and 75%.");
            out.println();
            Resources task = Resources.cpusMem(1, 256);
            GreedyFramework analytics = new GreedyFramework("analytics", task, "sleep 8");
            GreedyFramework etl = new GreedyFramework("etl", task, "sleep 8");
            try (SchedulerClient a = client(cluster, "analytics-jobs", "analytics", analytics);
                 SchedulerClient e = client(cluster, "etl-pipeline", "etl", etl)) {
                a.start();
                e.start();
                MasterHttp master = new MasterHttp(MasterUrls.detector(cluster.master().address()));
                long end = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
                boolean first = true;
                while (!stop.await(first ? 5 : 15, TimeUnit.SECONDS) && System.nanoTime() < end) {
                    first = false;
                    printShares(out, master);
                    out.println("tasks launched: analytics " + analytics.launched() + ", etl " + etl.launched()
                            + "   (try: ./tower ps, ./tower agents, ./tower frameworks; Ctrl-C to stop)");
                    out.println();
                }
                printShares(out, master);
            }
        }
        return 0;
    }

    private static SchedulerClient client(LocalCluster cluster, String name, String role, GreedyFramework f) {
        FrameworkInfo info = new FrameworkInfo(null, name, role, null, null, null, 0.0, List.of());
        return SchedulerClient.builder(cluster.master().address(), info, f).build();
    }

    private static void printShares(PrintWriter out, MasterHttp master) {
        List<RoleView> roles = Json.mapper().convertValue(PsCommand.readTree(master.get("/api/v1/roles")),
                new TypeReference<>() { });
        Table t = new Table("ROLE", "WEIGHT", "ALLOCATED", "DOMINANT SHARE");
        for (RoleView r : roles) {
            t.row(r.name(), Format.num(r.weight()), Format.cpusMem(r.allocated()), Format.percent(r.dominantShare()));
        }
        t.print(out);
    }
}
