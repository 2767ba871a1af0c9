package dev.tower.cli;

import dev.tower.cli.hadoop.HadoopHome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code tower yarn start|client-config|status}: YARN on Tower. Each runs {@code dev.tower.hadoop.tool.YarnTool} in a
 * JVM of its own on the Hadoop home's classpath (Hadoop never joins the CLI's), with stdin, stdout and stderr
 * inherited and its exit code returned.
 */
@Command(name = "yarn", mixinStandardHelpOptions = true,
        description = {"YARN on Tower: a stock ResourceManager and NodeManagers run as Tower tasks, and the",
                "NodeManagers grow and shrink with offers while YARN has containers waiting.",
                "Hadoop home: $" + HadoopHome.ENV + ", else hadoop-bridge/target/hadoop-home of this build."},
        subcommands = {YarnCommand.Start.class, YarnCommand.ClientConfig.class, YarnCommand.Status.class})
public final class YarnCommand {

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = {"Run the bridge in the foreground: it launches the ResourceManager and NodeManagers",
                    "and follows YARN's demand until stopped (Ctrl-C tears it down with its tasks)."})
    static final class Start implements Callable<Integer> {
        @Mixin MasterOption master;
        @Option(names = "--name", defaultValue = "yarn", description = "Framework name (default: ${DEFAULT-VALUE}).")
        String name;
        @Option(names = "--role", defaultValue = "*", description = "Role the bridge's tasks run in (default: ${DEFAULT-VALUE}).")
        String role;
        @Option(names = "--nodemanagers", defaultValue = "2", description = "NodeManagers, one per agent (default: ${DEFAULT-VALUE}).")
        int nodeManagers;
        @Option(names = "--idle-release", defaultValue = "10s",
                description = "How long YARN must leave a placeholder's room unused before it is given back (default: ${DEFAULT-VALUE}).")
        String idleRelease;
        @Option(names = "--nodemanager-base-mb", defaultValue = "512", description = "Memory every NodeManager starts with (default: ${DEFAULT-VALUE}).")
        int baseMb;
        @Option(names = "--nodemanager-base-vcores", defaultValue = "1", description = "Virtual cores every NodeManager starts with (default: ${DEFAULT-VALUE}).")
        int baseVcores;
        @Option(names = "--largest-container-mb", defaultValue = "1024",
                description = "Largest container YARN grants; one NodeManager always has at least this (default: ${DEFAULT-VALUE}).")
        int largestMb;
        @Option(names = "--largest-container-vcores", defaultValue = "2", description = "(default: ${DEFAULT-VALUE})")
        int largestVcores;
        @Option(names = "--cpus-per-vcore", defaultValue = "1", description = "Tower cpus held per YARN virtual core (default: ${DEFAULT-VALUE}).")
        double cpusPerVcore;
        @Option(names = "--resourcemanager-resources", defaultValue = "cpus:1;mem:1024",
                description = "What the ResourceManager's task holds (default: ${DEFAULT-VALUE}).")
        String rmResources;
        @Option(names = "--nodemanager-resources", defaultValue = "cpus:0.5;mem:768",
                description = "What a NodeManager's own JVM holds, its base capacity coming on top (default: ${DEFAULT-VALUE}).")
        String nmResources;

        @Override
        public Integer call() throws Exception {
            return runTool(List.of("start", "--master", master.url(), "--name", name, "--role", role,
                    "--nodemanagers", Integer.toString(nodeManagers), "--idle-release", idleRelease,
                    "--nodemanager-base-mb", Integer.toString(baseMb),
                    "--nodemanager-base-vcores", Integer.toString(baseVcores),
                    "--largest-container-mb", Integer.toString(largestMb),
                    "--largest-container-vcores", Integer.toString(largestVcores),
                    "--cpus-per-vcore", Double.toString(cpusPerVcore),
                    "--resourcemanager-resources", rmResources, "--nodemanager-resources", nmResources), master);
        }
    }

    @Command(name = "client-config", mixinStandardHelpOptions = true,
            description = {"Write core-site.xml, yarn-site.xml and mapred-site.xml into DIR, so that a stock",
                    "Hadoop client with HADOOP_CONF_DIR=DIR submits to the bridge's ResourceManager:",
                    "  HADOOP_CONF_DIR=DIR hadoop jar hadoop-mapreduce-examples-3.4.2.jar wordcount IN OUT"})
    static final class ClientConfig implements Callable<Integer> {
        @Mixin MasterOption master;
        @Option(names = "--name", defaultValue = "yarn", description = "Framework name (default: ${DEFAULT-VALUE}).")
        String name;
        @Option(names = "--container-mb", defaultValue = "512",
                description = "Memory of MapReduce's containers: application master, maps, reduces (default: ${DEFAULT-VALUE}).")
        int containerMb;
        @Parameters(paramLabel = "DIR")
        Path dir;

        @Override
        public Integer call() throws Exception {
            return runTool(List.of("client-config", "--master", master.url(), "--name", name,
                    "--container-mb", Integer.toString(containerMb), dir.toAbsolutePath().toString()), master);
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "The ResourceManager, YARN's demand, its nodes' capability and use, and the bridge's tasks.")
    static final class Status implements Callable<Integer> {
        @Mixin MasterOption master;
        @Option(names = "--name", defaultValue = "yarn", description = "Framework name (default: ${DEFAULT-VALUE}).")
        String name;

        @Override
        public Integer call() throws Exception {
            return runTool(List.of("status", "--master", master.url(), "--name", name), master);
        }
    }

    /** Runs the bridge's tool in its own JVM and returns its exit code; stopping tower stops it. */
    static int runTool(List<String> args, MasterOption master) throws Exception {
        HadoopHome home = HadoopHome.locate();
        List<String> command = new ArrayList<>(toolCommand(home, args));
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        // The tool reads its credential and CA from the environment: the flags given here become those variables.
        pb.environment().putAll(master.environment());
        Process p = pb.start();
        Thread stopChild = new Thread(() -> {
            if (p.isAlive()) {
                p.destroy();
                try {
                    p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "tower-yarn-stop");
        Runtime.getRuntime().addShutdownHook(stopChild);
        try {
            return p.waitFor();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopChild);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to
            }
        }
    }

    /** The command line of the bridge's tool ({@code start}, {@code client-config}, {@code status}) in a JVM of its own. */
    public static List<String> toolCommand(HadoopHome home, List<String> args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "-cp", home.classpath(), "dev.tower.hadoop.tool.YarnTool"));
        command.add(args.get(0));
        command.addAll(List.of("--hadoop-home", home.dir().toString()));
        command.addAll(args.subList(1, args.size()));
        return command;
    }
}
