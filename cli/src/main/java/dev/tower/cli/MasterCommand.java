package dev.tower.cli;

import dev.tower.manager.Master;
import dev.tower.manager.MasterOptions;
import dev.tower.manager.core.MasterConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code tower master}: run a master until Ctrl-C. */
@Command(name = "master", mixinStandardHelpOptions = true, description = "Run a Tower master.")
public final class MasterCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "5050", description = "HTTP port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--bind", defaultValue = "0.0.0.0", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--advertise-host", defaultValue = "127.0.0.1", description = "Address clients should use (default: ${DEFAULT-VALUE}).")
    String advertise;

    @Option(names = "--work-dir", defaultValue = "./tower-work/master", description = "State directory (default: ${DEFAULT-VALUE}).")
    Path workDir;

    @Option(names = "--weights", split = ",", paramLabel = "ROLE=WEIGHT", description = "Role weights, e.g. etl=3,adhoc=1.")
    Map<String, Double> weights = new HashMap<>();

    @Option(names = "--agent-unreachable-timeout", defaultValue = "60s", converter = DurationConverter.class,
            description = "An unreachable agent's tasks become LOST after this (default: ${DEFAULT-VALUE}).")
    Duration unreachableTimeout;

    @Option(names = "--offer-timeout", defaultValue = "60s", converter = DurationConverter.class,
            description = "Offers not answered within this are rescinded (default: ${DEFAULT-VALUE}).")
    Duration offerTimeout;

    @Override
    public Integer call() throws Exception {
        weights.forEach((role, w) -> {
            if (!(w > 0) || w.isInfinite()) {
                throw new IllegalArgumentException("--weights: weight of role " + role + " must be > 0");
            }
        });
        MasterConfig core = MasterConfig.defaults().withWeights(weights)
                .withAgentUnreachableTimeout(unreachableTimeout).withOfferTimeout(offerTimeout);
        MasterOptions options = MasterOptions.defaults(workDir).withPort(port).withHosts(bind, advertise).withCore(core);
        CountDownLatch stop = new CountDownLatch(1);
        try (Master master = Master.start(options)) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "tower-master-shutdown"));
            System.out.println("Tower master listening at http://" + master.address());
            System.out.flush();
            stop.await();
        }
        return 0;
    }
}
