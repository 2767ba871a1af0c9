package dev.tower.hadoop.framework;

import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.hadoop.BridgeSettings;
import dev.tower.hadoop.yarn.Capacity;
import dev.tower.hadoop.yarn.NodeManagerPorts;
import dev.tower.hadoop.yarn.ResourceManagerEndpoints;
import dev.tower.hadoop.yarn.YarnSite;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The Tower tasks of a bridged YARN cluster: the ResourceManager, NodeManagers and placeholders. */
final class DaemonTasks {
    static final String ROLE_LABEL = "tower.yarn.role";
    static final String NODEMANAGER_LABEL = "tower.yarn.nodemanager";
    /** Hadoop's Guice and cglib reflect into java.lang on Java 17. */
    static final String ADD_OPENS = "--add-opens=java.base/java.lang=ALL-UNNAMED";

    private final BridgeSettings settings;
    private final YarnSite site;

    DaemonTasks(BridgeSettings settings, YarnSite site) {
        this.settings = settings;
        this.site = site;
    }

    TaskInfo resourceManager(String taskId, String agentId, ResourceManagerEndpoints rm, OfferPorts ports) {
        Map<String, String> env = new HashMap<>(daemonEnvironment());
        env.putAll(rm.environment());
        return new TaskInfo(taskId, "yarn-resourcemanager", agentId,
                settings.resourceManager().plus(ports.asResources()),
                daemon("resourcemanager", settings.resourceManager(), site.resourceManager(rm), env),
                10.0, Map.of(ROLE_LABEL, "resourcemanager"));
    }

    /** The NodeManager's own JVM plus its base capacity. */
    Resources nodeManagerResources(Capacity base) {
        return settings.nodeManager().plus(settings.towerResources(base));
    }

    TaskInfo nodeManager(String taskId, String agentId, String host, ResourceManagerEndpoints rm, NodeManagerPorts p,
                         OfferPorts ports, Capacity base) {
        return new TaskInfo(taskId, "yarn-nodemanager", agentId, nodeManagerResources(base).plus(ports.asResources()),
                daemon("nodemanager", settings.nodeManager(), site.nodeManager(rm, host, p, base), daemonEnvironment()),
                10.0, Map.of(ROLE_LABEL, "nodemanager"));
    }

    TaskInfo placeholder(String taskId, String agentId, String nodeManagerTaskId, Capacity capacity) {
        return new TaskInfo(taskId, "yarn-placeholder", agentId, settings.towerResources(capacity),
                CommandInfo.shell("exec sleep infinity"), 1.0,
                Map.of(ROLE_LABEL, "placeholder", NODEMANAGER_LABEL, nodeManagerTaskId));
    }

    private Map<String, String> daemonEnvironment() {
        // Containers start with $JAVA_HOME/bin/java: the NodeManager passes JAVA_HOME on to them.
        return Map.of("JAVA_HOME", settings.javaHome().toString(),
                "HADOOP_HOME", settings.hadoopHome().toString());
    }

    private CommandInfo daemon(String which, Resources jvm, Map<String, Map<String, String>> files,
                               Map<String, String> env) {
        List<String> argv = new ArrayList<>(List.of(
                settings.javaHome().resolve("bin").resolve("java").toString(),
                ADD_OPENS, "-Xmx" + heapMb(jvm) + "m", "-XX:+UseSerialGC",
                "-cp", "conf:" + settings.hadoopHome().resolve("lib") + "/*:"
                        + settings.hadoopHome().resolve("bridge").resolve("tower-hadoop-bridge.jar"),
                "dev.tower.hadoop.daemon.YarnDaemon", which));
        files.forEach((file, props) -> props.forEach((k, v) -> argv.add(file + ":" + k + "=" + v)));
        StringBuilder sh = new StringBuilder("mkdir -p conf && exec");
        for (String a : argv) {
            sh.append(' ').append(Shell.quote(a));
        }
        return CommandInfo.shell(sh.toString()).withEnvironment(env);
    }

    private static long heapMb(Resources task) {
        return Math.max(128, (long) (task.mem() * 3 / 4));
    }
}
