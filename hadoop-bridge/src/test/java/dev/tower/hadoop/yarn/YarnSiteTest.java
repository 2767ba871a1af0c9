package dev.tower.hadoop.yarn;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class YarnSiteTest {
    private static final ResourceManagerEndpoints RM = ResourceManagerEndpoints.of("h1", List.of(1, 2, 3, 4, 5));
    private static final YarnSite SITE = new YarnSite(Path.of("/opt/tower/hadoop-home"), new Capacity(1024, 2));

    @Test
    void everyPartyPointsAtTheResourceManagersPortsFromItsOffer() {
        for (Map<String, Map<String, String>> files : List.of(SITE.resourceManager(RM),
                SITE.nodeManager(RM, "h2", new NodeManagerPorts(6, 7, 8, 9), new Capacity(512, 1)),
                SITE.client(RM))) {
            assertThat(files.get(YarnSite.YARN_SITE)).containsEntry("yarn.resourcemanager.address", "h1:1")
                    .containsEntry("yarn.resourcemanager.scheduler.address", "h1:2")
                    .containsEntry("yarn.resourcemanager.resource-tracker.address", "h1:3")
                    .containsEntry("yarn.resourcemanager.admin.address", "h1:4")
                    .containsEntry("yarn.resourcemanager.webapp.address", "h1:5");
        }
    }

    @Test
    void nodeManagerListensOnItsOwnPortsWithItsBaseCapacityAndTheShuffle() {
        var files = SITE.nodeManager(RM, "h2", new NodeManagerPorts(6, 7, 8, 9), new Capacity(512, 1));
        assertThat(files.get(YarnSite.YARN_SITE))
                .containsEntry("yarn.nodemanager.address", "h2:6")
                .containsEntry("yarn.nodemanager.localizer.address", "h2:7")
                .containsEntry("yarn.nodemanager.webapp.address", "h2:8")
                .containsEntry("yarn.nodemanager.resource.memory-mb", "512")
                .containsEntry("yarn.nodemanager.resource.cpu-vcores", "1")
                .containsEntry("yarn.nodemanager.aux-services", "mapreduce_shuffle")
                .containsEntry("yarn.nodemanager.container-executor.class",
                        "org.apache.hadoop.yarn.server.nodemanager.DefaultContainerExecutor");
        assertThat(files.get(YarnSite.MAPRED_SITE)).containsEntry("mapreduce.shuffle.port", "9");
    }

    @Test
    void resourceManagerCapsContainersAtTheLargestAndLetsApplicationMastersUseTheWholeQueue() {
        var files = SITE.resourceManager(RM);
        assertThat(files.get(YarnSite.YARN_SITE)).containsEntry("yarn.scheduler.maximum-allocation-mb", "1024")
                .containsEntry("yarn.scheduler.maximum-allocation-vcores", "2");
        assertThat(files.get(YarnSite.CAPACITY_SCHEDULER))
                .containsEntry("yarn.scheduler.capacity.maximum-am-resource-percent", "1.0");
    }

    @Test
    void clientRunsMapReduceOnYarnFromTheHadoopHomeWithContainersThatFit() {
        var files = SITE.client(RM, 2048);
        assertThat(files.get(YarnSite.MAPRED_SITE)).containsEntry("mapreduce.framework.name", "yarn")
                .containsEntry("mapreduce.application.classpath", "/opt/tower/hadoop-home/lib/*")
                .containsEntry("mapreduce.map.memory.mb", "1024")
                .containsEntry("mapreduce.map.java.opts", "-Xmx768m");
        assertThat(files.get(YarnSite.CORE_SITE)).containsEntry("fs.defaultFS", "file:///");
    }

    @Test
    void endpointsRoundTripThroughTheTaskEnvironment() {
        assertThat(ResourceManagerEndpoints.fromEnvironment(RM.environment())).contains(RM);
        assertThat(ResourceManagerEndpoints.fromEnvironment(Map.of())).isEmpty();
    }
}
