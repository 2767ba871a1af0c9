package dev.tower.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tower.api.codec.Json;
import dev.tower.api.client.MasterHttp;
import dev.tower.api.operator.OperatorCall;
import dev.tower.api.operator.TaskView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code tower kill TASK_ID}. */
@Command(name = "kill", mixinStandardHelpOptions = true, description = "Kill a task (SIGTERM, then SIGKILL after its grace period).")
public final class KillCommand implements Callable<Integer> {
    @Mixin
    MasterOption master;

    @Parameters(paramLabel = "TASK_ID", description = "The task to kill.")
    String taskId;

    @Option(names = "--framework", description = "The task's framework, when several frameworks have a task with this id.")
    String framework;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        MasterHttp http = master.http();
        String fw = framework;
        if (fw == null) {
            List<TaskView> found = Json.mapper().convertValue(
                    PsCommand.readTree(http.get("/api/v1/tasks/" + java.net.URLEncoder.encode(taskId,
                            java.nio.charset.StandardCharsets.UTF_8))), new TypeReference<>() { });
            List<TaskView> active = found.stream().filter(t -> !t.state().isTerminal()).toList();
            if (active.isEmpty()) {
                throw new IllegalStateException("task " + taskId + " is not running (" + found.get(0).state() + ")");
            }
            if (active.size() > 1) {
                throw new IllegalArgumentException("several frameworks have a task " + taskId + ": "
                        + active.stream().map(TaskView::frameworkId).toList() + "; choose one with --framework");
            }
            fw = active.get(0).frameworkId();
        }
        http.post("/api/v1/operator", new OperatorCall.KillTask(fw, taskId));
        if (json) {
            spec.commandLine().getOut().println(Json.write(java.util.Map.of("killed", taskId, "frameworkId", fw)));
        } else {
            spec.commandLine().getOut().println("kill requested for task " + taskId + " of framework " + fw);
        }
        return 0;
    }
}
