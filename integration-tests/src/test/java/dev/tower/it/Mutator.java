package dev.tower.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tower.api.agent.AgentCall;
import dev.tower.api.codec.Json;
import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Filters;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.operator.OperatorCall;
import dev.tower.api.scheduler.SchedulerCall;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Valid API calls, and ways to break them, for {@link ApiFuzzTest}; every choice comes from one seeded Random. */
final class Mutator {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String[] ODD_TEXT = {"", " ", "-1", "0", "1e400", "NaN", "-Infinity", "null", "true", "..",
            "../../etc/passwd", "/etc/passwd", "%00", "\u0000", "☃", "\uD800", "' OR 1=1 --", "<script>alert(1)</script>",
            "9223372036854775808", "-9223372036854775809", "0.0000001", "RUNNING", "TASK_RUNNING", "stdout", "*"};

    private final Random random;

    Mutator(Random random) {
        this.random = random;
    }

    String id() {
        return switch (random.nextInt(4)) {
            case 0 -> "x" + random.nextInt(1000);
            case 1 -> ODD_TEXT[random.nextInt(ODD_TEXT.length)];
            case 2 -> "fuzz-task";
            default -> "id-" + Long.toHexString(random.nextLong());
        };
    }

    String scalarText() {
        return random.nextBoolean() ? ODD_TEXT[random.nextInt(ODD_TEXT.length)] : String.valueOf(random.nextInt(20) - 5);
    }

    String schedulerCall(String frameworkId) {
        Resources r = Resources.cpusMem(random.nextDouble() * 2 - 0.5, random.nextInt(256) - 16);
        TaskInfo task = TaskInfo.of(id(), r, CommandInfo.shell(random.nextBoolean() ? "true" : id()));
        Object call = switch (random.nextInt(8)) {
            case 0 -> new SchedulerCall.Decline(frameworkId, List.of(id()), Filters.refuse(random.nextInt(5)));
            case 1, 2 -> SchedulerCall.Accept.launch(frameworkId, List.of(id()), List.of(task), Filters.refuse(1));
            case 3 -> new SchedulerCall.Kill(frameworkId, id(), id());
            case 4 -> new SchedulerCall.Acknowledge(frameworkId, id(), id(), id());
            case 5 -> new SchedulerCall.Reconcile(frameworkId, List.of(new SchedulerCall.Reconcile.TaskRef(id(), id())));
            case 6 -> new SchedulerCall.Revive(frameworkId);
            default -> new SchedulerCall.Suppress(frameworkId);
        };
        return Json.write(call);
    }

    String agentCall(String agentId) {
        Object call = switch (random.nextInt(3)) {
            case 0 -> new AgentCall.Heartbeat(agentId);
            case 1 -> new AgentCall.Update(agentId, new TaskStatus(id(), id(), agentId,
                    TaskState.values()[random.nextInt(TaskState.values().length)], id(), id(), random.nextInt(300) - 10,
                    id(), TaskStatus.Source.AGENT, random.nextDouble() * 2e9));
            default -> new AgentCall.Subscribe(new AgentInfo(null, id(), random.nextInt(70000) - 100,
                    Resources.cpusMem(random.nextInt(10) - 2, random.nextInt(4096)), Map.of(id(), id())), List.of());
        };
        return Json.write(call);
    }

    String operatorCall(String agentId) {
        Object call = switch (random.nextInt(3)) {
            case 0 -> new OperatorCall.UpdateWeights(Map.of(id(), random.nextDouble() * 4 - 1));
            case 1 -> new OperatorCall.Teardown(id());
            default -> new OperatorCall.KillTask(id(), id());
        };
        return Json.write(call);
    }

    String sparkSubmission() {
        ObjectNode o = NODES.objectNode();
        o.put("action", random.nextBoolean() ? "CreateSubmissionRequest" : id());
        o.put("appResource", random.nextBoolean() ? "file:///nonexistent.jar" : id());
        o.put("mainClass", id());
        o.put("clientSparkVersion", "4.2.0");
        o.putArray("appArgs").add(id());
        o.putObject("sparkProperties").put("spark.master", "spark://127.0.0.1:1").put("spark.driver.memory", id());
        o.putObject("environmentVariables").put(id(), id());
        return o.toString();
    }

    /** Most often a JSON-level change of a valid call; sometimes text-level damage. */
    String mutate(String valid) {
        int kind = random.nextInt(10);
        if (kind == 0) {
            return valid; // valid calls too: state changes under the fuzzing
        }
        if (kind == 1) {
            return valid.substring(0, random.nextInt(valid.length()));
        }
        if (kind == 2) {
            StringBuilder b = new StringBuilder(valid);
            for (int i = 0; i < 1 + random.nextInt(4); i++) {
                b.setCharAt(random.nextInt(b.length()), (char) (random.nextInt(0x7f - 0x20) + 0x20));
            }
            return b.toString();
        }
        if (kind == 3) {
            return randomJson(4);
        }
        JsonNode tree = readTree(valid);
        for (int i = 0; i < 1 + random.nextInt(3); i++) {
            mutateSomewhere(tree);
        }
        return tree.toString();
    }

    private static JsonNode readTree(String json) {
        try {
            return Json.mapper().readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Picks a node at random and drops, retypes or replaces one of its members. */
    private void mutateSomewhere(JsonNode root) {
        JsonNode node = root;
        for (int depth = 0; depth < 6 && random.nextInt(3) != 0; depth++) {
            List<JsonNode> children = new ArrayList<>();
            node.elements().forEachRemaining(c -> {
                if (c.isContainerNode()) {
                    children.add(c);
                }
            });
            if (children.isEmpty()) {
                break;
            }
            node = children.get(random.nextInt(children.size()));
        }
        if (node instanceof ObjectNode o && o.size() > 0) {
            List<String> names = new ArrayList<>();
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
            String name = names.get(random.nextInt(names.size()));
            switch (random.nextInt(3)) {
                case 0 -> o.remove(name);
                case 1 -> o.set(name, randomNode(2));
                default -> o.set(id(), randomNode(1));
            }
        } else if (node instanceof ArrayNode a) {
            if (a.size() > 0 && random.nextBoolean()) {
                a.set(random.nextInt(a.size()), randomNode(2));
            } else {
                for (int i = random.nextInt(50); i >= 0; i--) {
                    a.add(randomNode(1));
                }
            }
        }
    }

    String randomJson(int depth) {
        return randomNode(depth).toString();
    }

    private JsonNode randomNode(int depth) {
        int k = random.nextInt(depth <= 0 ? 6 : 8);
        return switch (k) {
            case 0 -> NODES.nullNode();
            case 1 -> NODES.booleanNode(random.nextBoolean());
            case 2 -> NODES.numberNode(random.nextInt(5) == 0 ? Double.MAX_VALUE * (random.nextBoolean() ? 1 : -1)
                    : random.nextInt() / 7.0);
            case 3 -> NODES.numberNode(random.nextLong());
            case 4 -> NODES.textNode(id());
            case 5 -> NODES.textNode("y".repeat(random.nextInt(5000)));
            case 6 -> {
                ArrayNode a = NODES.arrayNode();
                for (int i = random.nextInt(5); i > 0; i--) {
                    a.add(randomNode(depth - 1));
                }
                yield a;
            }
            default -> {
                ObjectNode o = NODES.objectNode();
                for (int i = random.nextInt(5); i > 0; i--) {
                    o.set(random.nextBoolean() ? "type" : id(), randomNode(depth - 1));
                }
                yield o;
            }
        };
    }
}
