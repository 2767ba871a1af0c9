package dev.tower.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tower.api.codec.Json;
import dev.tower.api.operator.FrameworkView;
import dev.tower.api.operator.RoleView;
import dev.tower.cli.output.Format;
import dev.tower.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code tower frameworks}. */
@Command(name = "frameworks", mixinStandardHelpOptions = true, description = "List frameworks, and the roles' shares of the cluster.")
public final class FrameworksCommand implements Callable<Integer> {
    @Mixin
    MasterOption master;

    @Option(names = "--json", description = "Print the API's JSON.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        String body = master.http().get("/api/v1/frameworks");
        if (json) {
            spec.commandLine().getOut().println(body);
            return 0;
        }
        List<FrameworkView> fws = Json.mapper().convertValue(PsCommand.readTree(body), new TypeReference<>() { });
        Table t = new Table("FRAMEWORK", "NAME", "ROLE", "STATE", "USED", "OFFERED", "TASKS", "OFFERS");
        for (FrameworkView f : fws) {
            t.row(f.id(), f.name(), f.role(), f.state() + (f.suppressed() ? " (suppressed)" : ""),
                    Format.cpusMem(f.used()), Format.cpusMem(f.offered()), f.activeTasks(), f.outstandingOffers());
        }
        t.print(spec.commandLine().getOut());
        List<RoleView> roles = Json.mapper().convertValue(PsCommand.readTree(master.http().get("/api/v1/roles")),
                new TypeReference<>() { });
        if (!roles.isEmpty()) {
            spec.commandLine().getOut().println();
            Table r = new Table("ROLE", "WEIGHT", "DOMINANT SHARE", "WEIGHTED SHARE", "FRAMEWORKS");
            for (RoleView v : roles) {
                r.row(v.name(), Format.num(v.weight()), Format.percent(v.dominantShare()),
                        String.format("%.3f", v.weightedShare()), v.frameworks().size());
            }
            r.print(spec.commandLine().getOut());
        }
        return 0;
    }
}
