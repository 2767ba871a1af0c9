package dev.tower.hadoop.tool;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tower.api.client.MasterHttp;
import dev.tower.api.codec.Json;
import dev.tower.api.detect.MasterDetector;
import dev.tower.api.detect.MasterUrls;
import dev.tower.api.model.TaskState;
import dev.tower.api.operator.FrameworkView;
import dev.tower.api.operator.TaskView;
import dev.tower.hadoop.yarn.ResourceManagerEndpoints;

import java.util.List;

/**
 * Finds a bridged YARN cluster through Tower: the running framework of that name and its ResourceManager task, whose
 * environment names the ResourceManager's addresses.
 */
final class ResourceManagerLocator implements AutoCloseable {
    static final String RESOURCE_MANAGER_TASK = "yarn-resourcemanager";

    private final MasterDetector detector;
    private final MasterHttp http;

    ResourceManagerLocator(String master) {
        this.detector = MasterUrls.detector(master);
        this.http = new MasterHttp(detector);
    }

    /** The bridge framework named {@code name}; fails with a message naming what is missing. */
    FrameworkView framework(String name) {
        List<FrameworkView> frameworks = Json.mapper().convertValue(readTree(http.get("/api/v1/frameworks")),
                new TypeReference<>() { });
        return frameworks.stream().filter(f -> name.equals(f.name())).findFirst().orElseThrow(() ->
                new IllegalStateException("no framework named '" + name + "' at the master: start one with "
                        + "`tower yarn start`"));
    }

    List<TaskView> tasks(FrameworkView framework) {
        List<TaskView> all = Json.mapper().convertValue(readTree(http.get("/api/v1/tasks")), new TypeReference<>() { });
        return all.stream().filter(t -> framework.id().equals(t.frameworkId())).toList();
    }

    ResourceManagerEndpoints resourceManager(FrameworkView framework) {
        return tasks(framework).stream()
                .filter(t -> RESOURCE_MANAGER_TASK.equals(t.name()) && t.state() == TaskState.RUNNING)
                .flatMap(t -> ResourceManagerEndpoints.fromEnvironment(t.command().environment()).stream())
                .findFirst().orElseThrow(() -> new IllegalStateException("framework '" + framework.name()
                        + "' has no running ResourceManager yet"));
    }

    private static com.fasterxml.jackson.databind.JsonNode readTree(String body) {
        try {
            return Json.mapper().readTree(body);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("unreadable answer from the master: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        try {
            detector.close();
        } catch (Exception e) {
            // nothing to do
        }
    }
}
