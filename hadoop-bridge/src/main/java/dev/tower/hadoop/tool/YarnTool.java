package dev.tower.hadoop.tool;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.client.SchedulerClient;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskState;
import dev.tower.api.operator.FrameworkView;
import dev.tower.api.operator.TaskView;
import dev.tower.hadoop.BridgeSettings;
import dev.tower.hadoop.framework.YarnFramework;
import dev.tower.hadoop.yarn.Capacity;
import dev.tower.hadoop.yarn.ClusterDemand;
import dev.tower.hadoop.yarn.ConfigurationFiles;
import dev.tower.hadoop.yarn.NodeReport;
import dev.tower.hadoop.yarn.ResourceManagerEndpoints;
import dev.tower.hadoop.yarn.ResourceManagerWeb;
import dev.tower.hadoop.yarn.YarnSite;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What {@code tower yarn SUBCOMMAND} runs, in a JVM of its own on the Hadoop home's classpath:
 * <ul>
 *   <li>{@code start}: the bridge framework, in the foreground until it is stopped (which tears it down);</li>
 *   <li>{@code client-config DIR}: core-site.xml, yarn-site.xml and mapred-site.xml for a stock Hadoop client;</li>
 *   <li>{@code status}: the ResourceManager, YARN's demand, its nodes and the bridge's Tower tasks.</li>
 * </ul>
 * Every subcommand takes {@code --master URL} and {@code --name NAME} (default {@code yarn}).
 */
public final class YarnTool {
    private YarnTool() {
    }

    public static void main(String[] args) {
        int code;
        try {
            code = run(args);
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("tower yarn: " + e.getMessage());
            code = 1;
        } catch (Exception e) {
            System.err.println("tower yarn: " + e);
            code = 1;
        }
        System.exit(code);
    }

    static int run(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: start | client-config DIR | status");
        }
        Flags flags = new Flags(Arrays.asList(args).subList(1, args.length));
        String master = flags.get("master", "127.0.0.1:5050");
        String name = flags.get("name", BridgeSettings.DEFAULT_NAME);
        return switch (args[0]) {
            case "start" -> start(flags, master, name);
            case "client-config" -> clientConfig(flags, master, name);
            case "status" -> status(master, name);
            default -> throw new IllegalArgumentException("unknown subcommand " + args[0]);
        };
    }

    static Path hadoopHome(Flags flags) {
        String configured = flags.get("hadoop-home", System.getenv("TOWER_HADOOP_HOME"));
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        try {
            // <home>/bridge/tower-hadoop-bridge.jar
            Path jar = Path.of(YarnTool.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return jar.getParent().getParent();
        } catch (Exception e) {
            throw new IllegalStateException("cannot tell the Hadoop home: pass --hadoop-home");
        }
    }

    private static int start(Flags flags, String master, String name) throws Exception {
        Capacity base = new Capacity(flags.integer("nodemanager-base-mb", 512),
                flags.integer("nodemanager-base-vcores", 1));
        Capacity largest = new Capacity(flags.integer("largest-container-mb", 1024),
                flags.integer("largest-container-vcores", 2));
        BridgeSettings settings = new BridgeSettings(master, name, flags.get("role", "*"),
                flags.integer("nodemanagers", 2), hadoopHome(flags),
                Path.of(flags.get("java-home", System.getProperty("java.home"))),
                Resources.parse(flags.get("resourcemanager-resources", "cpus:1;mem:1024")),
                Resources.parse(flags.get("nodemanager-resources", "cpus:0.5;mem:768")),
                base, largest, flags.number("cpus-per-vcore", 1.0),
                flags.duration("idle-release", Duration.ofSeconds(10)),
                flags.duration("tick", Duration.ofMillis(500)));
        YarnFramework framework = new YarnFramework(settings, Clock.systemUTC());
        FrameworkInfo info = FrameworkInfo.named(name, settings.role());
        SchedulerClient client = SchedulerClient.builder(master, info, framework).build().start();
        Thread stop = new Thread(() -> {
            try {
                client.teardown().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                client.close();
            }
            framework.stop();
        }, "tower-yarn-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        System.out.println("YARN bridge '" + name + "' subscribing to Tower at " + master + " (role " + settings.role()
                + ", " + settings.nodeManagers() + " NodeManagers)");
        framework.ready().thenAccept(rm -> System.out.println("YARN ready: ResourceManager " + rm.clientAddress()
                + ", web " + rm.webUrl() + ", " + settings.nodeManagers() + " NodeManagers; client configuration: "
                + "tower yarn client-config DIR --master " + master
                + (name.equals(BridgeSettings.DEFAULT_NAME) ? "" : " --name " + name)));
        String why = framework.ended().get();
        System.err.println("tower yarn: the master ended the bridge: " + why);
        return 1;
    }

    private static int clientConfig(Flags flags, String master, String name) throws Exception {
        if (flags.positional().size() != 1) {
            throw new IllegalArgumentException("usage: client-config DIR");
        }
        Path dir = Path.of(flags.positional().get(0)).toAbsolutePath().normalize();
        try (ResourceManagerLocator locator = new ResourceManagerLocator(master)) {
            ResourceManagerEndpoints rm = locator.resourceManager(locator.framework(name));
            long containerMb = flags.integer("container-mb", 512);
            YarnSite site = new YarnSite(hadoopHome(flags), new Capacity(containerMb, 1));
            ConfigurationFiles.write(dir, site.client(rm, containerMb));
            System.out.println("wrote core-site.xml, yarn-site.xml, mapred-site.xml to " + dir
                    + " for ResourceManager " + rm.clientAddress() + "; use HADOOP_CONF_DIR=" + dir);
        }
        return 0;
    }

    private static int status(String master, String name) throws Exception {
        try (ResourceManagerLocator locator = new ResourceManagerLocator(master)) {
            FrameworkView fw = locator.framework(name);
            List<TaskView> tasks = locator.tasks(fw).stream().filter(t -> !t.state().isTerminal()).toList();
            System.out.printf("framework %s (%s), role %s, holding %s%n", fw.name(), fw.id(), fw.role(), fw.used());
            ResourceManagerEndpoints rm;
            try {
                rm = locator.resourceManager(fw);
            } catch (IllegalStateException e) {
                System.out.println(e.getMessage());
                return 0;
            }
            System.out.printf("ResourceManager %s, web %s%n", rm.clientAddress(), rm.webUrl());
            ResourceManagerWeb web = new ResourceManagerWeb(rm.webUrl());
            JsonNode m = web.metrics();
            ClusterDemand demand = web.demand();
            System.out.printf("applications: %d running, %d pending; containers: %d allocated, %d pending "
                            + "(%d MB pending)%n", m.path("appsRunning").asLong(), m.path("appsPending").asLong(),
                    m.path("containersAllocated").asLong(), demand.containersPending(), demand.pendingMb());
            System.out.printf("%-24s %-9s %-28s %-28s %s%n", "NODE", "STATE", "CAPABILITY", "USED", "CONTAINERS");
            for (NodeReport n : web.nodes()) {
                System.out.printf("%-24s %-9s %-28s %-28s %d%n", n.id(), n.state(), n.capacity(), n.used(),
                        n.containers());
            }
            System.out.printf("%-28s %-12s %-10s %s%n", "TASK", "STATE", "AGENT", "RESOURCES");
            for (TaskView t : tasks) {
                System.out.printf("%-28s %-12s %-10s %s%n", t.taskId(), t.state(), shortId(t.agentId()),
                        t.resources());
            }
            long placeholders = tasks.stream().filter(t -> "yarn-placeholder".equals(t.name())
                    && t.state() == TaskState.RUNNING).count();
            System.out.printf("%d placeholder%s running%n", placeholders, placeholders == 1 ? "" : "s");
        }
        return 0;
    }

    private static String shortId(String id) {
        return id == null ? "-" : id.length() <= 10 ? id : id.substring(0, 10);
    }

}
