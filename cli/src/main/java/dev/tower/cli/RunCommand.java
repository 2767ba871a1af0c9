package dev.tower.cli;

import dev.tower.api.model.ContainerInfo;
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
                "One argument is run by /bin/sh -c; several are an argv. With --docker IMAGE the task runs in a",
                "Docker container of that image (the command may then be left out: the image's own runs).",
                "Example: tower run --cpus 0.5 --mem 64 -- sh -c 'echo hello; exit 3'",
                "         tower run --docker busybox -p 8080 -- httpd -f -p 8080"})
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

    @Option(names = "--docker", paramLabel = "IMAGE",
            description = "Run the task in a Docker container of IMAGE, on an agent whose Docker engine answers.")
    String image;

    @Option(names = "--network", paramLabel = "MODE", description = "With --docker: host, bridge or none "
            + "(default: bridge).")
    String network;

    @Option(names = {"-p", "--publish"}, paramLabel = "CONTAINER_PORT",
            description = "With --docker: publish this container port on a host port from the offer (repeatable); "
                    + "the task sees the host ports as PORT0, PORT1, ... and they are printed when it runs.")
    List<Integer> publish = new java.util.ArrayList<>();

    @Option(names = {"-v", "--volume"}, paramLabel = "HOST_PATH:CONTAINER_PATH[:rw]",
            description = "With --docker: mount a host path (read-only unless :rw), if the agent allows it "
                    + "(repeatable).")
    List<String> volumes = new java.util.ArrayList<>();

    @Option(names = "--pull", paramLabel = "POLICY", description = "With --docker: never, if-not-present or always "
            + "(default: if-not-present).")
    String pull;

    @Parameters(paramLabel = "CMD", arity = "0..*", description = "The command, after --.")
    List<String> command = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (instances < 1) {
            throw new IllegalArgumentException("--instances must be >= 1");
        }
        if (!(cpus >= 0) || !(mem >= 0) || (cpus == 0 && mem == 0) || Double.isInfinite(cpus) || Double.isInfinite(mem)) {
            throw new IllegalArgumentException("--cpus and --mem must be finite numbers >= 0, not both 0");
        }
        ContainerInfo container = container();
        if (container == null && command.isEmpty()) {
            throw new IllegalArgumentException("name a command to run after --, or an image with --docker IMAGE");
        }
        String taskName = name != null ? name : "run-" + Long.toHexString(System.nanoTime() & 0xffffffL);
        Runner runner = new Runner(master.url(), role, taskName, instances, cpus, mem, command, env, container, quiet,
                master.security());
        return runner.run();
    }

    /** The container the flags describe, or null for a process task (the Docker flags then are a mistake). */
    ContainerInfo container() {
        if (image == null) {
            if (network != null || !publish.isEmpty() || !volumes.isEmpty() || pull != null) {
                throw new IllegalArgumentException("--network, --publish, --volume and --pull need --docker IMAGE");
            }
            return null;
        }
        if (image.isBlank()) {
            throw new IllegalArgumentException("--docker: name an image, e.g. --docker busybox");
        }
        ContainerInfo c = ContainerInfo.docker(image);
        try {
            if (network != null) {
                c = c.withNetwork(ContainerInfo.Network.parse(network));
            }
            if (pull != null) {
                c = c.withPullPolicy(ContainerInfo.PullPolicy.parse(pull));
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--" + e.getMessage());
        }
        List<ContainerInfo.PortMapping> ports = new java.util.ArrayList<>();
        for (Integer p : publish) {
            if (p == null || p < 1 || p > 65535) {
                throw new IllegalArgumentException("--publish: " + p + " is not a port (1..65535)");
            }
            ports.add(ContainerInfo.PortMapping.of(p));
        }
        if (!ports.isEmpty() && c.network() != ContainerInfo.Network.BRIDGE) {
            throw new IllegalArgumentException("--publish needs the bridge network (--network " + network + " given)");
        }
        List<ContainerInfo.Volume> mounts = new java.util.ArrayList<>();
        for (String v : volumes) {
            String[] parts = v.split(":");
            if (parts.length < 2 || parts.length > 3 || (parts.length == 3 && !parts[2].equals("rw")
                    && !parts[2].equals("ro"))) {
                throw new IllegalArgumentException("--volume: '" + v + "' is not HOST_PATH:CONTAINER_PATH[:rw|:ro]");
            }
            mounts.add(new ContainerInfo.Volume(parts[0], parts[1], parts.length == 3
                    ? ContainerInfo.Mode.parse(parts[2]) : ContainerInfo.Mode.RO));
        }
        return c.withPortMappings(ports).withVolumes(mounts);
    }
}
