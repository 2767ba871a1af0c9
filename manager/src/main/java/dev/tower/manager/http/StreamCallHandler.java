package dev.tower.manager.http;

import dev.tower.api.agent.AgentCall;
import dev.tower.api.codec.BadInputException;
import dev.tower.api.codec.Json;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.manager.core.Command;
import dev.tower.manager.core.Reply;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.scheduler.Operation;
import dev.tower.api.security.Principals;
import dev.tower.manager.security.Acls;
import dev.tower.manager.security.RateLimiter;
import org.glassfish.grizzly.http.Method;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The hot path of the API: the calls of {@code POST /api/v1/scheduler} and {@code /api/v1/agent} that do not open
 * a stream — status updates, acknowledgements, launches, heartbeats. There are several per task, so they are answered
 * straight from Grizzly: a JAX-RS dispatch cost about six times as much CPU and was a quarter of the master's load
 * under a stream of short tasks. Everything else (opening streams, queries, operator calls) goes to the Jersey
 * application.
 * <p>
 * It is where callers are authenticated (when the master has principals): every request but {@code /health} must
 * carry a known principal's credential, or is answered {@code 401} and nothing else; the principal is recorded on the
 * request for the audit and the ACL checks behind it.
 * <p>
 * It is also where a standby master turns callers away, before anything else looks at a request: every request but
 * {@code /health} and {@code /metrics} is answered {@code 307} to the same path and query on the leading master, or {@code 503} while no
 * leader is known (such calls are audited by the leader they are sent to, not here).
 * <p>
 * The calls it answers that change the cluster (ACCEPT, KILL, REVIVE, SUPPRESS, TEARDOWN) are audited with their
 * outcome ({@link CallAudit}), rejected ones included; the rest of the hot path (UPDATE, ACKNOWLEDGE, HEARTBEAT,
 * DECLINE, RECONCILE) costs nothing more.
 */
public final class StreamCallHandler extends HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(StreamCallHandler.class);
    static final String SCHEDULER_PATH = "/api/v1/scheduler";
    static final String AGENT_PATH = "/api/v1/agent";
    static final String HEALTH_PATH = "/health";
    /** Each master is scraped on its own, a standby too. */
    static final String METRICS_PATH = "/metrics";
    public static final String NO_LEADER = "no leading master elected yet";
    /** The largest request body any API takes (an ACCEPT launching 10,000 tasks is about 3 MiB). */
    public static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

    private final CallGateway core;
    private final LeaderRouting routing;
    private final GrizzlyHttpContainer jersey;
    private final CallAudit audit;
    private final dev.tower.manager.ui.WebUi ui;
    /** Who may call; null when the master does not authenticate. */
    private final Principals principals;
    private final Authorizer authorizer;
    /** Scheduler calls per principal; null for no limit. */
    private final RateLimiter schedulerLimit;

    public StreamCallHandler(CallGateway core, LeaderRouting routing, GrizzlyHttpContainer jersey, CallAudit audit,
                             dev.tower.manager.ui.WebUi ui, Principals principals, Authorizer authorizer,
                             RateLimiter schedulerLimit) {
        this.schedulerLimit = schedulerLimit;
        this.ui = ui;
        this.principals = principals;
        this.authorizer = authorizer;
        this.core = core;
        this.routing = routing;
        this.jersey = jersey;
        this.audit = audit;
    }

    @Override
    public void start() {
        jersey.start();
    }

    @Override
    public void destroy() {
        jersey.destroy();
    }

    @Override
    public void service(Request request, Response response) throws Exception {
        String streamId = request.getHeader(CallGateway.STREAM_HEADER);
        String path = request.getRequestURI();
        String principal = CallAudit.ANONYMOUS;
        if (principals != null && !HEALTH_PATH.equals(path)) {
            Optional<String> p = principals.authenticate(request.getHeader("Authorization"));
            if (p.isEmpty()) {
                unauthenticated(request, response);
                return;
            }
            principal = p.get();
            request.setAttribute(CallAudit.PRINCIPAL_ATTRIBUTE, principal);
        }
        if (schedulerLimit != null && SCHEDULER_PATH.equals(path) && !schedulerLimit.tryAcquire(principal)) {
            response.setHeader("Retry-After", "1");
            write(response, 429, Replies.errorBody("principal '" + principal + "' is over its rate of "
                    + schedulerLimit.rate() + " scheduler calls per second; slow down and retry"));
            return;
        }
        if (request.getContentLengthLong() > MAX_BODY_BYTES) {
            // Refused before a byte of it is read: a body this large is a mistake or an attack, never a call.
            write(response, 413, Replies.errorBody("body: " + request.getContentLengthLong() + " bytes; at most "
                    + MAX_BODY_BYTES + " are accepted"));
            return;
        }
        if (ui.handles(request)) {
            // A standby sends browsers to the leader; with no leader yet it shows the UI, which waits for one.
            if (!routing.serving() && routing.leaderAddress() != null) {
                sendToLeader(request, response, path);
            } else {
                ui.serve(request, response);
            }
            return;
        }
        if (!routing.serving() && !HEALTH_PATH.equals(path) && !METRICS_PATH.equals(path)) {
            sendToLeader(request, response, path);
            return;
        }
        boolean scheduler = SCHEDULER_PATH.equals(path);
        if (request.getMethod() != Method.POST || !(scheduler || AGENT_PATH.equals(path)) || acceptsOnlyEvents(request)) {
            jersey.service(request, response);
            return;
        }
        String api = scheduler ? "scheduler" : "agent";
        String body;
        try {
            // A body without a Content-Length (chunked) is bounded while it is read.
            byte[] bytes = request.getInputStream().readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                write(response, 413, Replies.errorBody("body: more than " + MAX_BODY_BYTES + " bytes are not accepted"));
                return;
            }
            body = new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            String error = "cannot read the request body: " + e.getMessage();
            audit.undecodable(CallAudit.Caller.of(request), api, null, 400, error);
            write(response, 400, Replies.errorBody(error));
            return;
        }
        Object call;
        try {
            call = scheduler ? Json.read(body, SchedulerCall.class) : Json.read(body, AgentCall.class);
        } catch (BadInputException e) {
            audit.undecodable(CallAudit.Caller.of(request), api, body, 400, e.getMessage());
            write(response, 400, Replies.errorBody(e.getMessage()));
            return;
        }
        // Only audited calls pay for reading the caller (the hot path's UPDATEs and ACKNOWLEDGEs do not).
        CallAudit.Caller who = call instanceof SchedulerCall c && CallAudit.audited(c)
                || call instanceof AgentCall.Subscribe ? CallAudit.Caller.of(request) : null;
        if (call instanceof SchedulerCall.Accept accept) {
            Acls.Decision d = authorizer.checkAll(principal, Acls.Permission.RUN_TASKS, taskUsers(accept));
            if (!d.allowed()) {
                audited(who, call, Authorizer.forbidden(d));
                write(response, 403, Replies.errorBody(d.denial()));
                return;
            }
        }
        Command command;
        try {
            command = scheduler ? schedulerCommand(streamId, (SchedulerCall) call) : agentCommand(streamId, (AgentCall) call);
        } catch (BadInputException e) {
            audited(who, call, Reply.badRequest(e.getMessage()));
            write(response, 400, Replies.errorBody(e.getMessage()));
            return;
        }
        response.suspend(CallGateway.REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS, null);
        core.submit(command).whenComplete((reply, error) -> {
            try {
                if (who != null) {
                    audited(who, call, error != null ? new Reply(503, null, "master busy: " + error) : reply);
                }
                if (error != null) {
                    write(response, 503, Replies.errorBody("master busy: " + error));
                } else if (reply.isError()) {
                    write(response, reply.status(), Replies.errorBody(reply.error()));
                } else if (reply.status() == 202) {
                    write(response, 202, null);
                } else {
                    write(response, reply.status(), Json.write(reply.body()));
                }
            } catch (IOException | RuntimeException e) {
                log.debug("cannot answer a call on stream {}: {}", streamId, e.toString());
            } finally {
                response.resume();
            }
        });
    }

    /**
     * 401 and nothing else. Browsers are asked for Basic credentials (the web UI's login); API clients read the
     * error.
     */
    private static void unauthenticated(Request request, Response response) throws IOException {
        String header = request.getHeader("Authorization");
        response.setHeader("WWW-Authenticate", "Basic realm=\"Tower\", charset=\"UTF-8\"");
        write(response, 401, Replies.errorBody(header == null || header.isBlank()
                ? "unauthenticated: this master requires a principal and secret (HTTP Basic) or a token (HTTP Bearer)"
                : "unauthenticated: unknown principal, wrong secret or unknown token"));
    }

    /** The users an ACCEPT's tasks ask to run as (tasks that name none run as the agent's task user). */
    private static List<String> taskUsers(SchedulerCall.Accept accept) {
        List<String> users = new ArrayList<>();
        for (Operation op : accept.operations()) {
            if (op instanceof Operation.Launch launch) {
                for (TaskInfo t : launch.tasks()) {
                    if (t.command() != null && t.command().user() != null && !t.command().user().isEmpty()) {
                        users.add(t.command().user());
                    }
                }
            }
        }
        return users;
    }

    private void audited(CallAudit.Caller who, Object call, Reply reply) {
        if (who == null) {
            return;
        }
        if (call instanceof SchedulerCall c) {
            audit.scheduler(who, c, reply);
        } else if (call instanceof AgentCall.Subscribe s) {
            audit.agentSubscribe(who, s, reply);
        }
    }

    private void sendToLeader(Request request, Response response, String path) throws IOException {
        String leader = routing.leaderAddress();
        // Spark's REST client reads only its protocol's messages: an ErrorResponse lets it try the next master of a
        // spark://h1:p1,h2:p2 URL (it follows the 307 itself only for GET, i.e. status requests).
        boolean sparkRest = path.startsWith(SparkRestProtocol.PATH_PREFIX + "/");
        if (leader == null) {
            write(response, 503, sparkRest ? SparkRestProtocol.error(NO_LEADER) : Replies.errorBody(NO_LEADER));
            return;
        }
        String query = request.getQueryString();
        response.setHeader("Location", request.getScheme() + "://" + leader + path + (query == null || query.isEmpty() ? "" : "?" + query));
        String why = "this master is a standby; the leading master is at " + leader;
        write(response, 307, sparkRest ? SparkRestProtocol.error(why) : Replies.errorBody(why));
    }

    /** A SUBSCRIBE asks for an event stream; such requests belong to the Jersey resources. */
    private static boolean acceptsOnlyEvents(Request request) {
        String accept = request.getHeader("Accept");
        return accept != null && accept.contains("text/event-stream") && !accept.contains("json")
                && !accept.contains("*/*");
    }

    private static Command schedulerCommand(String streamId, SchedulerCall call) {
        if (call instanceof SchedulerCall.Subscribe) {
            throw new BadInputException("Accept: SUBSCRIBE opens an event stream; send Accept: text/event-stream");
        }
        return new Command.FromFramework(streamId, call);
    }

    private static Command agentCommand(String streamId, AgentCall call) {
        if (call instanceof AgentCall.Subscribe) {
            throw new BadInputException("Accept: SUBSCRIBE opens an event stream; send Accept: text/event-stream");
        }
        return new Command.FromAgent(streamId, call);
    }

    private static void write(Response response, int status, String json) throws IOException {
        response.setStatus(status);
        if (json == null) {
            response.setContentLength(0);
            return;
        }
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        response.setContentType("application/json");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }
}
