package dev.tower.cli;

import dev.tower.api.operator.OperatorCall;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tower weights ROLE=W ...}. */
@Command(name = "weights", mixinStandardHelpOptions = true, description = "Set role weights (weighted DRF), e.g. `tower weights etl=3 adhoc=1`.")
public final class WeightsCommand implements Callable<Integer> {
    @Mixin
    MasterOption master;

    @Parameters(paramLabel = "ROLE=WEIGHT", arity = "1..*")
    Map<String, Double> weights;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        master.http().post("/api/v1/operator", new OperatorCall.UpdateWeights(weights));
        spec.commandLine().getOut().println("weights updated: " + weights);
        return 0;
    }
}
