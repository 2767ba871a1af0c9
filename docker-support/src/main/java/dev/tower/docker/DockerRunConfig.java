package dev.tower.docker;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.InternetProtocol;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import dev.tower.agent.containerizer.DockerSettings;
import dev.tower.agent.containerizer.LaunchException;
import dev.tower.agent.containerizer.LaunchSpec;
import dev.tower.agent.containerizer.TaskEnvironment;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.ContainerInfo;
import dev.tower.api.model.Range;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a task's container is created with, worked out from its {@link LaunchSpec} and what the agent allows, before
 * anything is asked of the engine: a task the agent refuses (a volume outside the allowed paths, a privileged container
 * where none may run) fails here with the reason, and nothing is created.
 *
 * <ul>
 *   <li>command: a shell command runs as {@code /bin/sh -c VALUE} (entrypoint {@code /bin/sh -c}); an argv replaces
 *       the entrypoint with {@code value} and passes {@code arguments} without argv[0]; no command runs the image's own
 *       entrypoint and command</li>
 *   <li>working directory: the command's own ({@code /mnt/sandbox/DIR} when relative); the sandbox for a task that
 *       has a command (where its fetched files are); the image's own when the image's command runs</li>
 *   <li>environment: the task's and Tower's ({@code TOWER_*}, {@code HOST}, {@code PORT0}...), never the agent's own,
 *       with {@code TOWER_SANDBOX} naming the sandbox as the container sees it</li>
 *   <li>CPU: shares of 1024 per CPU and a CFS quota of that many CPUs per 100 ms period; memory: a hard limit without
 *       swap</li>
 * </ul>
 */
record DockerRunConfig(
        String name,
        String image,
        Map<String, String> labels,
        List<String> entrypoint,
        List<String> cmd,
        List<String> env,
        String user,
        String workingDir,
        Integer cpuShares,
        Long cpuPeriod,
        Long cpuQuota,
        Long memoryBytes,
        String networkMode,
        List<PortMap> ports,
        List<Mount> mounts,
        boolean privileged) {

    static final String LABEL_TASK = "dev.tower.task-id";
    static final String LABEL_FRAMEWORK = "dev.tower.framework-id";
    static final String LABEL_AGENT = "dev.tower.agent-id";
    static final String TOWER_LABELS = "dev.tower.";
    static final long CPU_PERIOD_US = 100_000;
    /** The kernel refuses a CFS quota under 1 ms; Docker refuses CPU shares under 2. */
    private static final long MIN_CPU_QUOTA_US = 1_000;
    private static final int MIN_CPU_SHARES = 2;
    private static final Pattern NOT_IN_NAME = Pattern.compile("[^a-zA-Z0-9_.-]");

    /** A container port published on a host port of the task's. */
    record PortMap(int containerPort, ContainerInfo.Protocol protocol, int hostPort) {
    }

    /** A host path bind-mounted into the container (the host path with its symlinks resolved). */
    record Mount(Path hostPath, String containerPath, boolean writable) {
    }

    static DockerRunConfig of(LaunchSpec spec, DockerSettings settings) throws LaunchException {
        TaskInfo task = spec.task();
        ContainerInfo container = task.container();
        if (container == null || container.type() != ContainerInfo.Type.DOCKER) {
            throw new LaunchException("not a Docker task");
        }
        if (container.isPrivileged() && !settings.allowPrivileged()) {
            throw new LaunchException("privileged containers are not allowed on this agent (an agent started with "
                    + "--docker-allow-privileged runs them)");
        }
        CommandInfo command = task.command();
        List<String> entrypoint = null;
        List<String> cmd = null;
        if (task.hasCommand()) {
            if (command.isShell()) {
                entrypoint = List.of("/bin/sh", "-c");
                cmd = List.of(command.value());
            } else {
                entrypoint = List.of(command.value());
                cmd = command.arguments().isEmpty() ? List.of()
                        : List.copyOf(command.arguments().subList(1, command.arguments().size()));
            }
        }
        Map<String, String> envMap = new LinkedHashMap<>(TaskEnvironment.of(spec, Map.of()));
        envMap.put("TOWER_SANDBOX", ContainerInfo.SANDBOX_MOUNT);
        List<String> env = new ArrayList<>();
        envMap.forEach((k, v) -> env.add(k + "=" + v));
        String user = command == null || command.user() == null || command.user().isBlank() ? null : command.user();

        Resources res = task.resources();
        Integer shares = null;
        Long period = null;
        Long quota = null;
        if (res.scalars().containsKey(Resources.CPUS)) {
            shares = (int) Math.max(MIN_CPU_SHARES, Math.round(res.cpus() * 1024));
            period = CPU_PERIOD_US;
            quota = Math.max(MIN_CPU_QUOTA_US, Math.round(res.cpus() * CPU_PERIOD_US));
        }
        Long memory = res.scalars().containsKey(Resources.MEM) ? Math.round(res.mem() * 1024 * 1024) : null;

        List<Integer> hostPorts = container.hostPorts(taskPorts(res));
        List<PortMap> ports = new ArrayList<>();
        for (int i = 0; i < container.portMappings().size(); i++) {
            ContainerInfo.PortMapping m = container.portMappings().get(i);
            ports.add(new PortMap(m.containerPort(), m.protocol(), hostPorts.get(i)));
        }

        List<Mount> mounts = new ArrayList<>();
        mounts.add(new Mount(spec.sandbox().toAbsolutePath().normalize(), ContainerInfo.SANDBOX_MOUNT, true));
        for (ContainerInfo.Volume v : container.volumes()) {
            mounts.add(allowedMount(v, settings.allowedVolumes()));
        }

        Map<String, String> labels = new LinkedHashMap<>();
        container.labels().forEach((k, v) -> {
            if (!k.startsWith(TOWER_LABELS)) {
                labels.put(k, v);
            }
        });
        labels.put(LABEL_FRAMEWORK, spec.frameworkId());
        labels.put(LABEL_TASK, task.taskId());
        if (spec.agentId() != null) {
            labels.put(LABEL_AGENT, spec.agentId());
        }

        return new DockerRunConfig(name(spec.frameworkId(), task.taskId()), container.image(), labels, entrypoint, cmd,
                env, user, workingDir(task), shares, period, quota, memory, container.network().json(), ports, mounts,
                container.isPrivileged());
    }

    /** {@code tower-FRAMEWORK-TASK}, with what a container name may not hold replaced by {@code _}. */
    static String name(String frameworkId, String taskId) {
        return "tower-" + NOT_IN_NAME.matcher(frameworkId).replaceAll("_") + "-"
                + NOT_IN_NAME.matcher(taskId).replaceAll("_");
    }

    private static String workingDir(TaskInfo task) {
        String dir = task.command() == null ? null : task.command().workingDir();
        if (dir != null && !dir.isBlank()) {
            return dir.startsWith("/") ? dir : Path.of(ContainerInfo.SANDBOX_MOUNT).resolve(dir).normalize().toString();
        }
        return task.hasCommand() ? ContainerInfo.SANDBOX_MOUNT : null;
    }

    static List<Long> taskPorts(Resources res) {
        List<Long> out = new ArrayList<>();
        for (Range r : res.ranges(Resources.PORTS)) {
            for (long p = r.begin(); p <= r.end(); p++) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * The volume as mounted: its host path with symlinks resolved (so a link inside an allowed path cannot lead out of
     * it, and what is checked is what is mounted), under one of the allowed paths, read-write only where that path's
     * rule lets it.
     */
    static Mount allowedMount(ContainerInfo.Volume v, List<DockerSettings.VolumeRule> rules) throws LaunchException {
        Path asked = Path.of(v.hostPath()).normalize();
        Path real;
        try {
            real = asked.toRealPath();
        } catch (IOException e) {
            throw new LaunchException("volume " + v.hostPath() + " does not exist on this agent");
        }
        String shown = real.equals(asked) ? v.hostPath() : v.hostPath() + " (" + real + ")";
        boolean allowed = false;
        boolean writable = false;
        for (DockerSettings.VolumeRule rule : rules) {
            if (real.startsWith(realPath(rule.path()))) {
                allowed = true;
                writable |= rule.writable();
            }
        }
        if (!allowed) {
            throw new LaunchException("volume " + shown + " is not under a path this agent allows "
                    + (rules.isEmpty() ? "(it allows none" : "(it allows " + describe(rules))
                    + "; an agent started with --docker-allow-volume PATH[:ro|:rw] allows more)");
        }
        if (v.writable() && !writable) {
            throw new LaunchException("volume " + shown + " may only be mounted read-only on this agent (an agent "
                    + "started with --docker-allow-volume PATH:rw lets tasks write under PATH)");
        }
        return new Mount(real, v.containerPath(), v.writable());
    }

    private static Path realPath(Path p) {
        try {
            return Files.exists(p) ? p.toRealPath() : p;
        } catch (IOException e) {
            return p;
        }
    }

    private static String describe(List<DockerSettings.VolumeRule> rules) {
        List<String> out = new ArrayList<>();
        rules.forEach(r -> out.add(r.path() + (r.writable() ? ":rw" : ":ro")));
        return String.join(", ", out);
    }

    /** Sets everything on a create command for {@link #image()}. */
    CreateContainerCmd applyTo(CreateContainerCmd create) {
        List<ExposedPort> exposed = new ArrayList<>();
        Ports bindings = new Ports();
        for (PortMap p : ports) {
            ExposedPort port = new ExposedPort(p.containerPort(),
                    p.protocol() == ContainerInfo.Protocol.UDP ? InternetProtocol.UDP : InternetProtocol.TCP);
            exposed.add(port);
            bindings.add(new PortBinding(Ports.Binding.bindIpAndPort("0.0.0.0", p.hostPort()), port));
        }
        List<Bind> binds = new ArrayList<>();
        for (Mount m : mounts) {
            binds.add(new Bind(m.hostPath().toString(), new com.github.dockerjava.api.model.Volume(m.containerPath()),
                    m.writable() ? AccessMode.rw : AccessMode.ro));
        }
        HostConfig host = HostConfig.newHostConfig()
                .withNetworkMode(networkMode)
                .withBinds(binds)
                .withPrivileged(privileged);
        if (!ports.isEmpty()) {
            host.withPortBindings(bindings);
        }
        if (cpuShares != null) {
            host.withCpuShares(cpuShares).withCpuPeriod(cpuPeriod).withCpuQuota(cpuQuota);
        }
        if (memoryBytes != null) {
            host.withMemory(memoryBytes).withMemorySwap(memoryBytes);
        }
        create.withName(name).withLabels(labels).withEnv(env).withHostConfig(host);
        if (!exposed.isEmpty()) {
            create.withExposedPorts(exposed);
        }
        if (entrypoint != null) {
            create.withEntrypoint(entrypoint).withCmd(cmd);
        }
        if (user != null) {
            create.withUser(user);
        }
        if (workingDir != null) {
            create.withWorkingDir(workingDir);
        }
        return create;
    }
}
