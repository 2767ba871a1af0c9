package dev.tower.agent.containerizer;

import dev.tower.api.model.Range;
import dev.tower.api.model.Resources;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The environment a task sees: the agent's, the task's own, and what Tower tells it about itself. */
public final class TaskEnvironment {
    private TaskEnvironment() {
    }

    public static Map<String, String> of(LaunchSpec spec, Map<String, String> agentEnv) {
        Map<String, String> env = new TreeMap<>(agentEnv);
        if (spec.task().command() != null) {
            env.putAll(spec.task().command().environment());
        }
        env.put("TOWER_TASK_ID", spec.task().taskId());
        env.put("TOWER_FRAMEWORK_ID", spec.frameworkId());
        if (spec.agentId() != null) {
            env.put("TOWER_AGENT_ID", spec.agentId());
        }
        env.put("TOWER_SANDBOX", spec.sandbox().toAbsolutePath().toString());
        env.put("HOST", spec.hostname());
        Resources res = spec.task().resources();
        if (res.scalars().containsKey(Resources.CPUS)) {
            env.put("TOWER_CPUS", number(res.cpus()));
        }
        if (res.scalars().containsKey(Resources.MEM)) {
            env.put("TOWER_MEM", number(res.mem()));
        }
        List<Long> ports = ports(res);
        if (!ports.isEmpty()) {
            List<String> all = new ArrayList<>();
            for (int i = 0; i < ports.size(); i++) {
                env.put("PORT" + i, Long.toString(ports.get(i)));
                all.add(Long.toString(ports.get(i)));
            }
            env.put("PORTS", String.join(",", all));
        }
        return env;
    }

    static List<Long> ports(Resources res) {
        List<Long> out = new ArrayList<>();
        for (Range r : res.ranges(Resources.PORTS)) {
            for (long p = r.begin(); p <= r.end(); p++) {
                out.add(p);
            }
        }
        return out;
    }

    private static String number(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
