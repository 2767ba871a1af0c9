package dev.tower.manager.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.codec.BadInputException;
import dev.tower.api.codec.Json;
import dev.tower.manager.core.DriverSpec;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The messages of Spark's REST submission protocol (v1), the one {@code spark-submit --deploy-mode cluster} speaks to
 * a {@code spark://} master when {@code spark.master.rest.enabled} is true. Every message is a JSON object naming its
 * type in {@code action}; every response carries {@code serverSparkVersion} and {@code success}, and Spark's client
 * rejects one without them. Error responses ({@code ErrorResponse}) must carry a {@code message}; so must kill
 * responses (the client reads it to tell a standby Spark master's answer apart).
 */
final class SparkRestProtocol {
    static final String PATH_PREFIX = "/v1/submissions";
    /** The Spark version Tower's Spark support is built and tested with; shown to clients, checked by none. */
    static final String SERVER_SPARK_VERSION = "4.2.0";

    private SparkRestProtocol() {
    }

    /** Reads a {@code CreateSubmissionRequest}; throws {@link BadInputException} naming the field at fault. */
    static DriverSpec createRequest(String body) {
        JsonNode root;
        try {
            root = body == null || body.isBlank() ? null : Json.mapper().readTree(body);
        } catch (IOException e) {
            throw new BadInputException("malformed JSON: " + firstLine(e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new BadInputException("expected a JSON object (a CreateSubmissionRequest)");
        }
        String action = text(root, "action");
        if (!"CreateSubmissionRequest".equals(action)) {
            throw new BadInputException("action: expected CreateSubmissionRequest, got "
                    + (action == null ? "none" : "'" + action + "'"));
        }
        String appResource = required(root, "appResource");
        if (!appResource.startsWith("/") && !appResource.matches("(?i)(file|https?):.*")) {
            throw new BadInputException("appResource: '" + appResource + "' is not a file:, http: or https: URI or an "
                    + "absolute path the agents can read");
        }
        String mainClass = required(root, "mainClass");
        JsonNode props = root.get("sparkProperties");
        if (props == null || !props.isObject()) {
            throw new BadInputException("sparkProperties: missing (an object of Spark properties)");
        }
        return new DriverSpec(appResource, mainClass, strings(root, "appArgs"), stringMap(root, "sparkProperties"),
                stringMap(root, "environmentVariables"), text(root, "clientSparkVersion"));
    }

    static String created(String submissionId) {
        Map<String, Object> m = response("CreateSubmissionResponse", true,
                "Driver successfully submitted as " + submissionId);
        m.put("submissionId", submissionId);
        return Json.write(m);
    }

    static String status(String submissionId, boolean found, String driverState, String workerId,
                         String workerHostPort, String message) {
        Map<String, Object> m = response("SubmissionStatusResponse", found, message);
        if (message == null) {
            m.remove("message");
        }
        m.put("submissionId", submissionId);
        m.put("driverState", driverState);
        if (workerId != null) {
            m.put("workerId", workerId);
        }
        if (workerHostPort != null) {
            m.put("workerHostPort", workerHostPort);
        }
        return Json.write(m);
    }

    static String killed(String submissionId, boolean success, String message) {
        Map<String, Object> m = response("KillSubmissionResponse", success, message);
        m.put("submissionId", submissionId);
        return Json.write(m);
    }

    static String error(String message) {
        return Json.write(response("ErrorResponse", false, message));
    }

    private static Map<String, Object> response(String action, boolean success, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("action", action);
        m.put("message", message == null ? "" : message);
        m.put("serverSparkVersion", SERVER_SPARK_VERSION);
        m.put("success", success);
        return m;
    }

    private static String required(JsonNode root, String field) {
        String v = text(root, field);
        if (v == null || v.isBlank()) {
            throw new BadInputException(field + ": missing");
        }
        return v;
    }

    private static String text(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isValueNode()) {
            throw new BadInputException(field + ": expected a string");
        }
        return n.asText();
    }

    private static List<String> strings(JsonNode root, String field) {
        JsonNode n = root.get(field);
        List<String> out = new ArrayList<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (!n.isArray()) {
            throw new BadInputException(field + ": expected an array of strings");
        }
        for (int i = 0; i < n.size(); i++) {
            if (!n.get(i).isValueNode()) {
                throw new BadInputException(field + "[" + i + "]: expected a string");
            }
            out.add(n.get(i).asText());
        }
        return out;
    }

    private static Map<String, String> stringMap(JsonNode root, String field) {
        JsonNode n = root.get(field);
        Map<String, String> out = new LinkedHashMap<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (!n.isObject()) {
            throw new BadInputException(field + ": expected an object of strings");
        }
        var it = n.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw new BadInputException(field + "." + e.getKey() + ": expected a string");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
