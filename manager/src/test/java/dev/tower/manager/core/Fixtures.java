package dev.tower.manager.core;

import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;

import java.util.List;
import java.util.Map;

/** Builders for the wire records the tests send. */
final class Fixtures {
    private Fixtures() {
    }

    static AgentInfo agentInfo(String hostname, double cpus, double mem) {
        return new AgentInfo(null, hostname, 5051, Resources.cpusMem(cpus, mem), Map.of());
    }

    static FrameworkInfo frameworkInfo(String name, String role, double failoverTimeoutSeconds) {
        return new FrameworkInfo(null, name, role, "p-" + name, "nobody", "localhost", failoverTimeoutSeconds, List.of());
    }

    static TaskInfo task(String id, double cpus, double mem) {
        return task(id, Resources.cpusMem(cpus, mem));
    }

    static TaskInfo task(String id, Resources resources) {
        return TaskInfo.of(id, resources, CommandInfo.shell("sleep 1000"));
    }
}
