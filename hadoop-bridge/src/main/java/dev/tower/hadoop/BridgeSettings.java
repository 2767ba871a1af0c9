package dev.tower.hadoop;

import dev.tower.api.model.Resources;
import dev.tower.hadoop.yarn.Capacity;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How the bridge runs YARN on Tower.
 *
 * @param master            the Tower master URL ({@code host:port[,host:port]} or {@code zk://…})
 * @param name              the framework's name; {@code tower yarn client-config} and {@code status} find the
 *                          ResourceManager by it
 * @param nodeManagers      how many NodeManagers to run, one per agent
 * @param hadoopHome        the Hadoop home the daemons and YARN containers run from (same path on every agent)
 * @param javaHome          the JDK the daemons and containers run on
 * @param resourceManager   what the ResourceManager's task holds
 * @param nodeManager       what a NodeManager's own JVM holds (its base capacity comes on top)
 * @param base              the capacity every NodeManager starts with, held by its own task
 * @param largestContainer  the largest container YARN may grant; one NodeManager is always at least this large
 * @param cpusPerVcore      Tower cpus held per YARN virtual core
 * @param idleRelease       how long YARN must leave a placeholder's room unused before it is given back
 * @param tick              how often YARN's demand and nodes are read
 */
public record BridgeSettings(
        String master,
        String name,
        String role,
        int nodeManagers,
        Path hadoopHome,
        Path javaHome,
        Resources resourceManager,
        Resources nodeManager,
        Capacity base,
        Capacity largestContainer,
        double cpusPerVcore,
        Duration idleRelease,
        Duration tick) {

    public static final String DEFAULT_NAME = "yarn";

    public BridgeSettings {
        if (nodeManagers < 1) {
            throw new IllegalArgumentException("--nodemanagers must be at least 1, got " + nodeManagers);
        }
        if (cpusPerVcore <= 0) {
            throw new IllegalArgumentException("--cpus-per-vcore must be positive, got " + cpusPerVcore);
        }
    }

    /** The Tower resources that hold {@code c} of YARN capacity. */
    public Resources towerResources(Capacity c) {
        return Resources.cpusMem(c.vcores() * cpusPerVcore, c.memoryMb());
    }
}
