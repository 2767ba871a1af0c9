package dev.tower.cli;

import dev.tower.api.client.CallRejectedException;
import dev.tower.api.client.MasterUnavailableException;
import dev.tower.api.security.TlsErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tower} command. */
@Command(name = "tower", mixinStandardHelpOptions = true, version = "tower 0.1.0",
        description = "Tower: a cluster manager that shares machines between frameworks through resource offers.",
        subcommands = {
                UpCommand.class, DemoCommand.class, MasterCommand.class, AgentCommand.class, RunCommand.class,
                PsCommand.class, AgentsCommand.class, FrameworksCommand.class, SubmissionsCommand.class, KillCommand.class,
                WhyNotCommand.class, WeightsCommand.class, EventsCommand.class, dev.tower.cli.bench.BenchCommand.class,
                SparkSubmitCommand.class, YarnCommand.class, ZooKeeperCommand.class, dev.tower.cli.certs.CertsCommand.class,
                CommandLine.HelpCommand.class})
public final class TowerCli {

    public static void main(String[] args) {
        // An agent launches a process per task. vfork+exec is about 1.4x faster than the JDK's default
        // posix_spawn through its helper binary, which makes process launch the agent's bottleneck otherwise.
        if (System.getProperty("jdk.lang.Process.launchMechanism") == null) {
            System.setProperty("jdk.lang.Process.launchMechanism", "VFORK");
        }
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cl = commandLine();
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("tower: " + explain(e));
            return 1;
        });
        return cl.execute(args);
    }

    /** The {@code tower} command line, configured as {@link #run} uses it. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new TowerCli());
        // Arguments meant for other programs (tasks, spark-submit) may start with '@': never read them as files.
        cl.setExpandAtFiles(false);
        // spark-submit's options are not tower's: everything from the first unknown argument on goes to it as is.
        cl.getSubcommands().get("spark-submit").setStopAtUnmatched(true);
        return cl;
    }

    /** One line a user can act on; never a stack trace for an expected failure. */
    static String explain(Throwable e) {
        if (e instanceof MasterUnavailableException) {
            return "cannot reach a master: " + e.getMessage() + (e.getMessage().contains(TlsErrors.PREFIX) ? ""
                    : " (is one running? start a local cluster with `tower up`)");
        }
        if (e instanceof CallRejectedException c) {
            return "the master refused: " + c.getMessage() + " (HTTP " + c.status() + ")";
        }
        if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
            return e.getMessage();
        }
        if (e instanceof java.io.UncheckedIOException u && u.getCause() != null) {
            return u.getMessage();
        }
        return e.toString();
    }
}
