package dev.tower.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tower.api.codec.Json;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.operator.TaskView;
import dev.tower.cli.output.Format;
import dev.tower.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code tower ps}: tasks. */
@Command(name = "ps", mixinStandardHelpOptions = true, description = "List tasks: active ones, and with --all the recently completed ones too.")
public final class PsCommand implements Callable<Integer> {
    @Mixin
    MasterOption master;

    @Option(names = {"-a", "--all"}, description = "Include completed tasks.")
    boolean all;

    @Option(names = "--state", description = "Only tasks in this state (RUNNING, FINISHED, ...).")
    String state;

    @Option(names = "--framework", description = "Only this framework's tasks.")
    String framework;

    @Option(names = "--json", description = "Print the API's JSON.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        StringBuilder q = new StringBuilder("/api/v1/tasks?completed=" + (all ? 1000 : 0));
        if (state != null) {
            q.append("&state=").append(java.net.URLEncoder.encode(state, java.nio.charset.StandardCharsets.UTF_8));
        }
        if (framework != null) {
            q.append("&framework=").append(java.net.URLEncoder.encode(framework, java.nio.charset.StandardCharsets.UTF_8));
        }
        String body = master.http().get(q.toString());
        if (json) {
            spec.commandLine().getOut().println(body);
            return 0;
        }
        List<TaskView> tasks = Json.mapper().convertValue(readTree(body), new TypeReference<>() { });
        Table t = new Table("TASK", "FRAMEWORK", "AGENT", "STATE", "RESOURCES", "REASON");
        for (TaskView v : tasks) {
            TaskStatus last = v.statuses().isEmpty() ? null : v.statuses().get(v.statuses().size() - 1);
            String reason = last == null ? null : last.exitCode() != null
                    ? (last.reason() != null ? last.reason() : "exit " + last.exitCode()) : last.reason();
            t.row(v.taskId(), v.frameworkId(), v.agentId(), v.state(), Format.cpusMem(v.resources()), reason);
        }
        t.print(spec.commandLine().getOut());
        return 0;
    }

    static com.fasterxml.jackson.databind.JsonNode readTree(String body) {
        try {
            return Json.mapper().readTree(body);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the master sent malformed JSON: " + e.getMessage());
        }
    }
}
