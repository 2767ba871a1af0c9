package dev.tower.hadoop.yarn;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The configuration files of each party of a bridged YARN cluster, as {@code file → key → value}: what the
 * ResourceManager and NodeManager tasks write into their sandboxes, and what {@code tower yarn client-config} writes
 * for a stock Hadoop client.
 */
public final class YarnSite {
    public static final String CORE_SITE = "core-site.xml";
    public static final String YARN_SITE = "yarn-site.xml";
    public static final String MAPRED_SITE = "mapred-site.xml";
    public static final String CAPACITY_SCHEDULER = "capacity-scheduler.xml";

    private final Path hadoopHome;
    private final Capacity largestContainer;

    /**
     * @param hadoopHome       the bridge's Hadoop home (its {@code lib/} is every YARN container's classpath); the same
     *                         path on every agent
     * @param largestContainer the largest container YARN may grant ({@code yarn.scheduler.maximum-allocation-*})
     */
    public YarnSite(Path hadoopHome, Capacity largestContainer) {
        this.hadoopHome = hadoopHome.toAbsolutePath().normalize();
        this.largestContainer = largestContainer;
    }

    private String classpath() {
        return hadoopHome.resolve("lib") + "/*";
    }

    public Map<String, Map<String, String>> resourceManager(ResourceManagerEndpoints rm) {
        Map<String, String> yarn = common(rm);
        // Capacity comes and goes with offers: nothing is kept across a restart of the ResourceManager.
        yarn.put("yarn.resourcemanager.recovery.enabled", "false");
        yarn.put("yarn.scheduler.minimum-allocation-mb", "128");
        yarn.put("yarn.scheduler.minimum-allocation-vcores", "1");
        yarn.put("yarn.scheduler.maximum-allocation-mb", Long.toString(largestContainer.memoryMb()));
        yarn.put("yarn.scheduler.maximum-allocation-vcores", Integer.toString(largestContainer.vcores()));
        // Grown capacity is used at a node's next heartbeat: make that soon.
        yarn.put("yarn.resourcemanager.nodemanagers.heartbeat-interval-ms", "500");
        Map<String, String> scheduler = new LinkedHashMap<>();
        scheduler.put("yarn.scheduler.capacity.root.queues", "default");
        scheduler.put("yarn.scheduler.capacity.root.default.capacity", "100");
        scheduler.put("yarn.scheduler.capacity.root.default.maximum-capacity", "100");
        // The cluster starts small and grows on demand: a 10 % share for application masters would keep the first
        // application waiting for capacity that is only added once it asks for containers.
        scheduler.put("yarn.scheduler.capacity.maximum-am-resource-percent", "1.0");
        scheduler.put("yarn.scheduler.capacity.node-locality-delay", "0");
        return Map.of(CORE_SITE, core(), YARN_SITE, yarn, CAPACITY_SCHEDULER, scheduler);
    }

    public Map<String, Map<String, String>> nodeManager(ResourceManagerEndpoints rm, String host, NodeManagerPorts ports,
                                                        Capacity base) {
        Map<String, String> yarn = common(rm);
        yarn.put("yarn.nodemanager.hostname", host);
        yarn.put("yarn.nodemanager.address", host + ":" + ports.rpc());
        yarn.put("yarn.nodemanager.localizer.address", host + ":" + ports.localizer());
        yarn.put("yarn.nodemanager.webapp.address", host + ":" + ports.web());
        yarn.put("yarn.nodemanager.aux-services", "mapreduce_shuffle");
        yarn.put("yarn.nodemanager.aux-services.mapreduce_shuffle.class", "org.apache.hadoop.mapred.ShuffleHandler");
        yarn.put("yarn.nodemanager.container-executor.class",
                "org.apache.hadoop.yarn.server.nodemanager.DefaultContainerExecutor");
        // The capacity this NodeManager registers with: its base, which its own task holds. The bridge adds to it.
        yarn.put("yarn.nodemanager.resource.detect-hardware-capabilities", "false");
        yarn.put("yarn.nodemanager.resource.memory-mb", Long.toString(base.memoryMb()));
        yarn.put("yarn.nodemanager.resource.cpu-vcores", Integer.toString(base.vcores()));
        yarn.put("yarn.nodemanager.local-dirs", "${env.TOWER_SANDBOX}/nm-local");
        yarn.put("yarn.nodemanager.log-dirs", "${env.TOWER_SANDBOX}/nm-logs");
        yarn.put("yarn.nodemanager.recovery.enabled", "false");
        // Tower accounts for memory by task; YARN's own process-tree checks would kill JVMs whose virtual size is
        // large by nature.
        yarn.put("yarn.nodemanager.pmem-check-enabled", "false");
        yarn.put("yarn.nodemanager.vmem-check-enabled", "false");
        // A full disk on a shared machine should not take the node out of the cluster.
        yarn.put("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", "100.0");
        yarn.put("yarn.nodemanager.delete.debug-delay-sec", "0");
        // In mapred-site.xml: the shuffle reads its port after mapred-default.xml is loaded, which would override a
        // value from yarn-site.xml with 13562.
        Map<String, String> mapred = Map.of("mapreduce.shuffle.port", Integer.toString(ports.shuffle()));
        return Map.of(CORE_SITE, core(), YARN_SITE, yarn, MAPRED_SITE, mapred);
    }

    /**
     * What a stock client needs ({@code HADOOP_CONF_DIR}): the ResourceManager's addresses, MapReduce on YARN, and
     * container sizes that fit the largest container.
     */
    public Map<String, Map<String, String>> client(ResourceManagerEndpoints rm) {
        return client(rm, 512);
    }

    /** @param containerMb the size of MapReduce's containers (application master, maps, reduces) */
    public Map<String, Map<String, String>> client(ResourceManagerEndpoints rm, long containerMb) {
        Map<String, String> mapred = new LinkedHashMap<>();
        mapred.put("mapreduce.framework.name", "yarn");
        mapred.put("mapreduce.application.classpath", classpath());
        long mb = Math.min(containerMb, largestContainer.memoryMb());
        String heap = "-Xmx" + Math.max(64, mb * 3 / 4) + "m";
        mapred.put("yarn.app.mapreduce.am.resource.mb", Long.toString(mb));
        mapred.put("yarn.app.mapreduce.am.command-opts", heap);
        mapred.put("mapreduce.map.memory.mb", Long.toString(mb));
        mapred.put("mapreduce.map.java.opts", heap);
        mapred.put("mapreduce.reduce.memory.mb", Long.toString(mb));
        mapred.put("mapreduce.reduce.java.opts", heap);
        mapred.put("mapreduce.task.io.sort.mb", Long.toString(Math.max(16, mb / 8)));
        return Map.of(CORE_SITE, core(), YARN_SITE, common(rm), MAPRED_SITE, mapred);
    }

    private Map<String, String> common(ResourceManagerEndpoints rm) {
        Map<String, String> yarn = new LinkedHashMap<>(rm.yarnSite());
        yarn.put("yarn.application.classpath", classpath());
        return yarn;
    }

    private static Map<String, String> core() {
        Map<String, String> core = new LinkedHashMap<>();
        core.put("fs.defaultFS", "file:///");
        return core;
    }
}
