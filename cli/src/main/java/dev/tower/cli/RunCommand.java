package dev.tower.cli;

import dev.tower.cli.run.Runner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tower run -- CMD ARGS…}: like mesos-execute. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run a command as a task on the cluster, stream its output here, and exit with its exit code.",
                "One argument is run by /bin/sh -c; several are an argv.",
                "Example: tower run --cpus 0.5 --mem 64 -- sh -c 'echo hello; exit 3'"})
public final class RunCommand implements Callable<Integer> {
    @Mixin
    MasterOption master;

    @Option(names = "--cpus", defaultValue = "1", description = "CPUs per task (default: ${DEFAULT-VALUE}).")
    double cpus;

    @Option(names = "--mem", defaultValue = "128", description = "Memory per task in MB (default: ${DEFAULT-VALUE}).")
    double mem;

    @Option(names = "--role", defaultValue = "*", description = "Role to run in (default: ${DEFAULT-VALUE}).")
    String role;

    @Option(names = "--name", description = "Task name and id (default: run-<random>).")
    String name;

    @Option(names = "--instances", defaultValue = "1", description = "Copies to run; exit 0 only if all succeed (default: ${DEFAULT-VALUE}).")
    int instances;

    @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Environment variable for the task (repeatable).")
    Map<String, String> env = new java.util.HashMap<>();

    @Option(names = "--quiet", description = "Do not print progress to stderr.")
    boolean quiet;

    @Parameters(paramLabel = "CMD", arity = "1..*", description = "The command, after --.")
    List<String> command;

    @Override
    public Integer call() throws Exception {
        if (instances < 1) {
            throw new IllegalArgumentException("--instances must be >= 1");
        }
        if (!(cpus >= 0) || !(mem >= 0) || (cpus == 0 && mem == 0) || Double.isInfinite(cpus) || Double.isInfinite(mem)) {
            throw new IllegalArgumentException("--cpus and --mem must be finite numbers >= 0, not both 0");
        }
        String taskName = name != null ? name : "run-" + Long.toHexString(System.nanoTime() & 0xffffffL);
        Runner runner = new Runner(master.url(), role, taskName, instances, cpus, mem, command, env, quiet);
        return runner.run();
    }
}
