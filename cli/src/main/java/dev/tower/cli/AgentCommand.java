package dev.tower.cli;

import dev.tower.agent.Agent;
import dev.tower.agent.AgentConfig;
import dev.tower.agent.security.AgentSecurity;
import dev.tower.api.security.ServerKeys;
import dev.tower.agent.containerizer.DockerSettings;
import dev.tower.agent.containerizer.TaskUser;
import dev.tower.agent.isolation.IsolationSettings;
import dev.tower.agent.resources.Attributes;
import dev.tower.api.detect.MasterUrls;
import dev.tower.api.model.Resources;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;

/** {@code tower agent}: run an agent until Ctrl-C. */
@Command(name = "agent", mixinStandardHelpOptions = true, description = "Run a Tower agent that offers this machine's resources.")
public final class AgentCommand implements Callable<Integer> {
    @Option(names = {"-m", "--master"}, required = true,
            description = "Master address: host:port[,host:port], or zk://host:port[,host:port]/path to follow the "
                    + "elected master through ZooKeeper.")
    String master;

    @Option(names = "--port", defaultValue = "5051", description = "HTTP port for the files API (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--hostname", defaultValue = "127.0.0.1", description = "Address the master and clients use to reach this agent (default: ${DEFAULT-VALUE}).")
    String hostname;

    @Option(names = "--resources", description = "e.g. 'cpus:4;mem:8192;disk:20000;ports:[31000-32000]' (default: detected).")
    String resources;

    @Option(names = "--attributes", description = "e.g. 'rack:r1;zone:a'.")
    String attributes;

    @Option(names = "--work-dir", defaultValue = "./tower-work/agent", description = "Sandboxes and checkpoints (default: ${DEFAULT-VALUE}).")
    Path workDir;

    @Option(names = "--docker-socket", paramLabel = "PATH", defaultValue = "/var/run/docker.sock",
            description = "The Docker engine's socket (default: ${DEFAULT-VALUE}); Docker tasks run when it answers.")
    Path dockerSocket;

    @Option(names = "--docker-allow-volume", paramLabel = "PATH[:rw]",
            description = "Docker tasks may mount host paths under PATH, read-only unless :rw is added (repeatable); "
                    + "by default they may mount none (their sandbox is always at /mnt/sandbox).")
    List<String> dockerVolumes = new ArrayList<>();

    @Option(names = "--docker-allow-privileged", description = "Let Docker tasks ask for privileged containers.")
    boolean dockerPrivileged;

    @Option(names = "--no-docker", description = "Run no Docker tasks on this agent, even if an engine answers.")
    boolean noDocker;

    @Option(names = "--isolation", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Hold each process task to its cpus, mem and processes with cgroups of its own (a task over "
                    + "its mem fails with 'memory limit exceeded'); without writable cgroups, a memory watchdog. Off by "
                    + "default (--no-isolation): YARN NodeManagers run by the Hadoop bridge need their containers "
                    + "unconstrained by the NodeManager's own mem.")
    boolean isolation;

    @Option(names = "--task-pids-max", paramLabel = "N", defaultValue = "" + IsolationSettings.DEFAULT_TASK_PIDS_MAX,
            description = "Processes and threads a process task may have at once, 0 for no limit "
                    + "(default: ${DEFAULT-VALUE}; needs the cgroup pids controller).")
    long taskPidsMax;

    @Mixin
    TlsServerOptions tls = new TlsServerOptions();

    @Mixin
    SecurityOptions security = new SecurityOptions();

    @Option(names = "--task-user", paramLabel = "USER",
            description = "The user process tasks run as, unless a task (its command's user) or its framework names "
                    + "another. Default: 'nobody' when the agent runs as root and that user exists (never root unless "
                    + "asked: --task-user root), else the agent's own user. Running tasks as another user than the "
                    + "agent's takes a root agent; their sandboxes become that user's.")
    String taskUser;

    @Override
    public Integer call() throws Exception {
        MasterUrls.detector(master).close(); // validate before starting anything
        int selfUid = TaskUser.selfUid();
        String tasksAs = taskUser(taskUser, selfUid, name -> TaskUser.lookup(name).isPresent());
        Optional<TaskUser> tasksUser = tasksAs == null ? Optional.empty() : TaskUser.lookup(tasksAs);
        if (tasksAs != null && tasksUser.isEmpty()) {
            System.err.println("tower agent: --task-user " + tasksAs + ": no such user on this machine");
            return 2;
        }
        if (tasksUser.isPresent() && tasksUser.get().uid() != selfUid && selfUid != 0) {
            System.err.println("tower agent: --task-user " + tasksAs + ": only an agent running as root can run tasks "
                    + "as another user");
            return 2;
        }
        ServerKeys keys = tls.keys();
        AgentConfig config = AgentConfig.defaults(master, workDir).withPort(port).withHostname(hostname)
                .withDocker(docker()).withIsolation(isolation()).withTaskUser(tasksAs)
                .withSecurity(new AgentSecurity(security.principals(), security.asClient(),
                        keys == null ? null : keys.sslContext()));
        if (resources != null) {
            config = config.withResources(Resources.parse(resources));
        }
        if (attributes != null) {
            config = config.withAttributes(Attributes.parse(attributes));
        }
        CountDownLatch stop = new CountDownLatch(1);
        try (Agent agent = Agent.start(config)) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "tower-agent-shutdown"));
            System.out.println("Tower agent on port " + agent.port() + (keys != null ? " (HTTPS)" : "") + " offering "
                    + agent.resources() + " to master " + master);
            System.out.println("Process tasks run as " + tasksUser.map(u -> "user " + u)
                    .orElse("the agent's own user (" + System.getProperty("user.name") + ")")
                    + " unless a task or its framework names another user");
            System.out.flush();
            stop.await();
        }
        return 0;
    }

    /**
     * The user process tasks run as when neither they nor their framework name one: {@code --task-user} if given;
     * otherwise {@code nobody} for an agent running as root (uid 0) on a machine that has that user, so that tasks
     * never run as root unless asked; otherwise null, the agent's own user.
     */
    static String taskUser(String flag, int agentUid, Predicate<String> userExists) {
        if (flag != null && !flag.isBlank()) {
            return flag.strip();
        }
        return agentUid == 0 && userExists.test(TaskUser.NOBODY) ? TaskUser.NOBODY : null;
    }

    IsolationSettings isolation() {
        return new IsolationSettings(isolation, taskPidsMax);
    }

    DockerSettings docker() {
        List<DockerSettings.VolumeRule> rules = new ArrayList<>();
        for (String v : dockerVolumes) {
            rules.add(DockerSettings.VolumeRule.parse(v));
        }
        return new DockerSettings(dockerSocket, rules, dockerPrivileged, !noDocker);
    }
}
