package dev.tower.manager.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.agent.AgentCall;
import dev.tower.api.codec.Json;
import dev.tower.api.operator.OperatorCall;
import dev.tower.api.scheduler.Operation;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.manager.core.ClusterEvent;
import dev.tower.manager.core.ClusterEvents;
import dev.tower.manager.core.Reply;
import dev.tower.manager.events.EventSink;
import org.glassfish.grizzly.http.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Audit records of the API calls that change the cluster, published as {@code audit.*} events on the master's event
 * bus (so they reach the events stream and Kafka with everything else): who made the call ({@code principal}, the
 * authenticated identity — {@value #ANONYMOUS} when the master does not authenticate callers; a framework's own claim is kept
 * apart as {@code claimedPrincipal}), from where ({@code source}, the client's address), what it asked (the call and
 * its ids) and how it ended ({@code outcome} {@code accepted} or {@code rejected}, the HTTP {@code status}, the
 * {@code error}). A call rejected before it reached the core (a 400 for bad JSON) is audited too, as far as it can be
 * read.
 * <p>
 * Audited: scheduler SUBSCRIBE, ACCEPT, KILL, REVIVE, SUPPRESS, TEARDOWN; agent SUBSCRIBE; every operator call; Spark
 * REST submissions' CREATE and KILL.
 * Not audited: DECLINE, ACKNOWLEDGE and RECONCILE, and an agent's UPDATE and HEARTBEAT — the routine traffic of the
 * protocol, up to several calls per offer or task, that changes nothing beyond what the core's own events record
 * ({@code offer.declined} with its filter, {@code task.status}); an audit record per decline would multiply the
 * audit log by the offer rate for no accountability gained. Reads change nothing and are not audited either.
 * <p>
 * Publishing only hands the record to the bus (whose sinks must not block). Nothing here throws: a failure to
 * audit is logged and the call is answered as usual.
 */
public final class CallAudit {
    private static final Logger log = LoggerFactory.getLogger(CallAudit.class);
    public static final String ANONYMOUS = "anonymous";
    /** The request attribute holding the authenticated principal. */
    public static final String PRINCIPAL_ATTRIBUTE = "dev.tower.principal";
    /** The subject of a record whose call named no entity the master knows (a rejected first SUBSCRIBE, bad JSON). */
    public static final String UNKNOWN = "unknown";
    public static final String ACCEPTED = "accepted";
    public static final String REJECTED = "rejected";

    private final EventSink events;
    private final InstantSource clock;

    public CallAudit(EventSink events, InstantSource clock) {
        this.events = events;
        this.clock = clock;
    }

    /**
     * Who made a call, as this edge knows it.
     *
     * @param source the client's {@code ip:port} as the master's socket sees it
     * @param forwardedFor the {@code X-Forwarded-For} header, if any: recorded, never trusted as the source
     */
    public record Caller(String principal, String source, String forwardedFor) {
        /** Read on the request's thread: Grizzly recycles the request once it is answered. */
        public static Caller of(Request request) {
            String ip = request.getRemoteAddr();
            String host = ip != null && ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip;
            String forwarded = request.getHeader("X-Forwarded-For");
            return new Caller(CallAudit.principal(request), host + ":" + request.getRemotePort(),
                    forwarded == null || forwarded.isBlank() ? null : forwarded.trim());
        }
    }

    /** The principal the request authenticated as ({@link StreamCallHandler} records it), else {@value #ANONYMOUS}. */
    public static String principal(Request request) {
        return request.getAttribute(PRINCIPAL_ATTRIBUTE) instanceof String p ? p : ANONYMOUS;
    }

    /** Whether a scheduler call of this kind is audited (so that the hot path skips the rest). */
    public static boolean audited(SchedulerCall call) {
        return call instanceof SchedulerCall.Subscribe || call instanceof SchedulerCall.Accept
                || call instanceof SchedulerCall.Kill || call instanceof SchedulerCall.Revive
                || call instanceof SchedulerCall.Suppress || call instanceof SchedulerCall.Teardown;
    }

    /** A scheduler call and its reply (for SUBSCRIBE, the framework id); calls that are not audited are ignored. */
    public void scheduler(Caller who, SchedulerCall call, Reply reply) {
        try {
            if (!audited(call)) {
                return;
            }
            String fw = call.frameworkId();
            Map<String, Object> details = new LinkedHashMap<>();
            String type;
            String subject = fw;
            String what;
            if (call instanceof SchedulerCall.Subscribe s) {
                type = ClusterEvents.AUDIT_FRAMEWORK_SUBSCRIBE;
                if (!reply.isError() && reply.body() instanceof String id) {
                    subject = id;
                }
                var info = s.framework();
                put(details, "frameworkId", subject);
                put(details, "resubscribe", fw != null);
                if (info != null) {
                    put(details, "name", info.name());
                    put(details, "role", info.role());
                    put(details, "user", info.user());
                    put(details, "claimedPrincipal", info.principal());
                }
                what = "framework " + (subject == null ? "'" + (info == null ? null : info.name()) + "'" : subject);
            } else if (call instanceof SchedulerCall.Accept a) {
                type = ClusterEvents.AUDIT_TASK_LAUNCH;
                List<String> taskIds = new ArrayList<>();
                for (Operation op : a.operations()) {
                    if (op instanceof Operation.Launch launch) {
                        launch.tasks().forEach(t -> taskIds.add(t == null ? null : t.taskId()));
                    }
                }
                put(details, "frameworkId", fw);
                put(details, "offerIds", a.offerIds());
                put(details, "taskIds", taskIds);
                what = "tasks " + taskIds + " of framework " + fw;
            } else if (call instanceof SchedulerCall.Kill k) {
                type = ClusterEvents.AUDIT_TASK_KILL;
                subject = taskSubject(fw, k.taskId());
                put(details, "frameworkId", fw);
                put(details, "taskId", k.taskId());
                put(details, "agentId", k.agentId());
                what = "task " + subject;
            } else {
                type = call instanceof SchedulerCall.Revive ? ClusterEvents.AUDIT_FRAMEWORK_REVIVE
                        : call instanceof SchedulerCall.Suppress ? ClusterEvents.AUDIT_FRAMEWORK_SUPPRESS
                        : ClusterEvents.AUDIT_FRAMEWORK_TEARDOWN;
                put(details, "frameworkId", fw);
                what = "framework " + fw;
            }
            publish(type, subject, who, "scheduler", Json.typeName(call), what, reply.status(), reply.error(), details);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    /** An agent's SUBSCRIBE and its reply (the agent's id). */
    public void agentSubscribe(Caller who, AgentCall.Subscribe call, Reply reply) {
        try {
            var info = call.agent();
            String id = !reply.isError() && reply.body() instanceof String assigned ? assigned
                    : info == null ? null : info.id();
            Map<String, Object> details = new LinkedHashMap<>();
            put(details, "agentId", id);
            put(details, "resubscribe", info != null && info.id() != null);
            if (info != null) {
                put(details, "hostname", info.hostname());
                put(details, "port", info.port());
                put(details, "resources", info.resources());
            }
            put(details, "reportedTasks", call.tasks().size());
            publish(ClusterEvents.AUDIT_AGENT_SUBSCRIBE, id, who, "agent", "SUBSCRIBE",
                    "agent " + (id != null ? id : "at " + (info == null ? null : info.address())), reply.status(),
                    reply.error(), details);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    /** An operator call and its reply. */
    public void operator(Caller who, OperatorCall call, Reply reply) {
        try {
            Map<String, Object> details = new LinkedHashMap<>();
            String type;
            String subject;
            String what;
            if (call instanceof OperatorCall.UpdateWeights w) {
                type = ClusterEvents.AUDIT_WEIGHTS_UPDATE;
                subject = "weights";
                put(details, "weights", w.weights() == null ? null : sortedWeights(w.weights()));
                what = "role weights " + w.weights();
            } else if (call instanceof OperatorCall.Teardown t) {
                type = ClusterEvents.AUDIT_FRAMEWORK_TEARDOWN;
                subject = t.frameworkId();
                put(details, "frameworkId", t.frameworkId());
                what = "framework " + t.frameworkId();
            } else {
                OperatorCall.KillTask k = (OperatorCall.KillTask) call;
                type = ClusterEvents.AUDIT_TASK_KILL;
                subject = taskSubject(k.frameworkId(), k.taskId());
                put(details, "frameworkId", k.frameworkId());
                put(details, "taskId", k.taskId());
                what = "task " + subject;
            }
            publish(type, subject, who, "operator", Json.typeName(call), what, reply.status(), reply.error(), details);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    /**
     * A Spark REST submission call ({@code api} {@code spark-rest}): {@code CREATE} of a driver (its id once created)
     * or {@code KILL} of one, with how it was answered.
     *
     * @param submissionId the driver's id; null for a create that was refused
     * @param details {@code mainClass}, {@code appResource} of a create
     */
    public void submission(Caller who, String call, String submissionId, int status, String error,
                           Map<String, Object> details) {
        try {
            boolean create = call.equals("CREATE");
            Map<String, Object> data = new LinkedHashMap<>(details);
            put(data, "submissionId", submissionId);
            publish(create ? ClusterEvents.AUDIT_DRIVER_SUBMIT : ClusterEvents.AUDIT_DRIVER_KILL, submissionId, who,
                    "spark-rest", call, "driver " + (submissionId == null ? "of " + details.get("mainClass")
                            : submissionId), status, error, data);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    /**
     * A call whose body could not be decoded, answered {@code status} with {@code error}. When its {@code type}
     * can still be read and names an audited call, the record is that call's, rejected; when nothing can be read, it
     * is {@code audit.call.malformed}; calls of a kind that is not audited (a DECLINE with a bad field) are ignored.
     *
     * @param api {@code scheduler}, {@code agent} or {@code operator}
     */
    public void undecodable(Caller who, String api, String body, int status, String error) {
        try {
            JsonNode tree = null;
            try {
                tree = body == null || body.isBlank() ? null : Json.mapper().readTree(body);
            } catch (java.io.IOException | RuntimeException unreadable) {
                // stays null: malformed
            }
            String call = tree != null && tree.path("type").isTextual() ? tree.path("type").asText() : null;
            String type = call == null ? null : auditType(api, call);
            Map<String, Object> details = new LinkedHashMap<>();
            if (type == null) {
                if (call != null && isKnown(api, call)) {
                    return; // a kind of call that is not audited
                }
                put(details, "bodyBytes", body == null ? 0 : body.length());
                publish(ClusterEvents.AUDIT_CALL_MALFORMED, UNKNOWN, who, api, call, null, status, error, details);
                return;
            }
            String subject = text(tree, "frameworkId");
            if (subject == null) {
                subject = text(tree.path("framework"), "id");
            }
            if (subject == null) {
                subject = text(tree.path("agent"), "id");
            }
            String taskId = text(tree, "taskId");
            if (taskId != null && subject != null) {
                put(details, "frameworkId", subject);
                put(details, "taskId", taskId);
                subject = subject + "/" + taskId;
            } else if (subject != null) {
                put(details, api.equals("agent") ? "agentId" : "frameworkId", subject);
            }
            publish(type, subject, who, api, call, "a " + call + " call", status, error, details);
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private static String auditType(String api, String call) {
        return switch (api + " " + call) {
            case "scheduler SUBSCRIBE" -> ClusterEvents.AUDIT_FRAMEWORK_SUBSCRIBE;
            case "scheduler ACCEPT" -> ClusterEvents.AUDIT_TASK_LAUNCH;
            case "scheduler KILL", "operator KILL_TASK" -> ClusterEvents.AUDIT_TASK_KILL;
            case "scheduler REVIVE" -> ClusterEvents.AUDIT_FRAMEWORK_REVIVE;
            case "scheduler SUPPRESS" -> ClusterEvents.AUDIT_FRAMEWORK_SUPPRESS;
            case "scheduler TEARDOWN", "operator TEARDOWN" -> ClusterEvents.AUDIT_FRAMEWORK_TEARDOWN;
            case "operator UPDATE_WEIGHTS" -> ClusterEvents.AUDIT_WEIGHTS_UPDATE;
            case "agent SUBSCRIBE" -> ClusterEvents.AUDIT_AGENT_SUBSCRIBE;
            default -> null;
        };
    }

    /** Calls of the API that exist but are not audited. */
    private static boolean isKnown(String api, String call) {
        return switch (api + " " + call) {
            case "scheduler DECLINE", "scheduler ACKNOWLEDGE", "scheduler RECONCILE", "agent UPDATE",
                 "agent HEARTBEAT" -> true;
            default -> false;
        };
    }

    /** @param what the entities the call is about, for the summary; null for a call that could not be read */
    private void publish(String type, String subject, Caller who, String api, String call, String what, int status,
                         String error, Map<String, Object> details) {
        boolean accepted = error == null && status / 100 == 2;
        Map<String, Object> data = new LinkedHashMap<>();
        put(data, "principal", who.principal());
        put(data, "source", who.source());
        put(data, "forwardedFor", who.forwardedFor());
        put(data, "api", api);
        put(data, "call", call);
        put(data, "outcome", accepted ? ACCEPTED : REJECTED);
        put(data, "status", status);
        put(data, "error", error);
        data.putAll(details);
        String summary = "audit: " + (what == null ? "an undecodable " + api + " call" : call + " of " + what) + " by "
                + who.principal() + " from " + who.source() + ": " + (accepted ? ACCEPTED
                : REJECTED + " (" + status + (error == null ? "" : " " + error) + ")");
        events.publish(new ClusterEvent(type, subject == null || subject.isBlank() ? UNKNOWN : subject, summary,
                Collections.unmodifiableMap(data), clock.millis()));
    }

    /** A task's subject, {@code frameworkId/taskId}; the framework's id alone when the call named no task. */
    private static String taskSubject(String frameworkId, String taskId) {
        return frameworkId == null ? null : taskId == null ? frameworkId : frameworkId + "/" + taskId;
    }

    private static void put(Map<String, Object> m, String key, Object value) {
        if (value != null) {
            m.put(key, value);
        }
    }

    private static Map<String, Double> sortedWeights(Map<String, Double> weights) {
        Map<String, Double> sorted = new TreeMap<>();
        weights.forEach((k, v) -> {
            if (k != null) {
                sorted.put(k, v);
            }
        });
        return Collections.unmodifiableMap(sorted);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v != null && v.isTextual() && !v.asText().isBlank() ? v.asText() : null;
    }

    private static void failed(RuntimeException e) {
        log.warn("could not audit a call: {}", e.toString(), e);
    }
}
