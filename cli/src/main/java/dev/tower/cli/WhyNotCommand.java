package dev.tower.cli;

import dev.tower.api.codec.Json;
import dev.tower.api.operator.WhyNotView;
import dev.tower.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/** {@code tower whynot FRAMEWORK [--agent A]}. */
@Command(name = "whynot", mixinStandardHelpOptions = true,
        description = "Explain why a framework is not being offered each agent's resources.")
public final class WhyNotCommand implements Callable<Integer> {
    @Mixin
    MasterOption master;

    @Parameters(paramLabel = "FRAMEWORK_ID")
    String framework;

    @Option(names = "--agent", description = "Only this agent.")
    String agent;

    @Option(names = "--json", description = "Print the API's JSON.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        String path = "/api/v1/whynot?framework=" + URLEncoder.encode(framework, StandardCharsets.UTF_8)
                + (agent == null ? "" : "&agent=" + URLEncoder.encode(agent, StandardCharsets.UTF_8));
        String body = master.http().get(path);
        if (json) {
            spec.commandLine().getOut().println(body);
            return 0;
        }
        WhyNotView view = Json.read(body, WhyNotView.class);
        Table t = new Table("AGENT", "HOST", "CODE", "REASON");
        for (WhyNotView.Entry e : view.agents()) {
            t.row(e.agentId(), e.hostname(), e.code(), e.reason());
        }
        t.print(spec.commandLine().getOut());
        return 0;
    }
}
