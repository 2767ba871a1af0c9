package dev.tower.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tower.api.codec.Json;
import dev.tower.api.operator.SubmissionView;
import dev.tower.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code tower submissions}: the Spark drivers submitted in cluster deploy mode. */
@Command(name = "submissions", aliases = "drivers", mixinStandardHelpOptions = true,
        description = "List Spark applications submitted in cluster deploy mode (spark-submit --deploy-mode cluster) "
                + "and their drivers' states.")
public final class SubmissionsCommand implements Callable<Integer> {
    @Mixin
    MasterOption master;

    @Option(names = "--json", description = "Print the API's JSON.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        String body = master.http().get("/api/v1/submissions");
        if (json) {
            spec.commandLine().getOut().println(body);
            return 0;
        }
        List<SubmissionView> all = Json.mapper().convertValue(PsCommand.readTree(body), new TypeReference<>() { });
        Table t = new Table("SUBMISSION", "APP", "STATE", "LAUNCHES", "SUPERVISED", "TASK", "AGENT", "MESSAGE");
        for (SubmissionView s : all) {
            t.row(s.submissionId(), s.appName(), s.driverState(), s.launches(), s.supervise() ? "yes" : "no",
                    s.taskId() == null ? "-" : s.taskId(), s.agentId() == null ? "-" : s.agentId(),
                    s.message() == null ? "" : s.message());
        }
        t.print(spec.commandLine().getOut());
        return 0;
    }
}
