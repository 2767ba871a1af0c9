package dev.tower.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tower.api.codec.Json;
import dev.tower.api.operator.AgentView;
import dev.tower.cli.output.Format;
import dev.tower.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code tower agents}. */
@Command(name = "agents", mixinStandardHelpOptions = true, description = "List agents with their resources: total, used by tasks, offered.")
public final class AgentsCommand implements Callable<Integer> {
    @Mixin
    MasterOption master;

    @Option(names = "--json", description = "Print the API's JSON.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        String body = master.http().get("/api/v1/agents");
        if (json) {
            spec.commandLine().getOut().println(body);
            return 0;
        }
        List<AgentView> agents = Json.mapper().convertValue(PsCommand.readTree(body), new TypeReference<>() { });
        Table t = new Table("AGENT", "ADDRESS", "STATE", "TOTAL", "USED", "OFFERED", "TASKS", "ATTRIBUTES");
        for (AgentView a : agents) {
            t.row(a.id(), a.hostname() + ":" + a.port(), a.state(), Format.cpusMem(a.total()), Format.cpusMem(a.used()),
                    Format.cpusMem(a.offered()), a.activeTasks(), a.attributes().isEmpty() ? null : a.attributes());
        }
        t.print(spec.commandLine().getOut());
        return 0;
    }
}
