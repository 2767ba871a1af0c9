package dev.tower.manager.http;

import dev.tower.api.codec.BadInputException;
import dev.tower.api.operator.SubmissionView;
import dev.tower.manager.core.Command;
import dev.tower.manager.core.DriverSpec;
import dev.tower.manager.core.Reply;
import dev.tower.manager.security.Acls;
import dev.tower.manager.dispatch.DriverCommand;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.AsyncResponse;
import org.glassfish.grizzly.http.server.Request;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Spark's REST submission protocol, so that {@code spark-submit --master spark://MASTER:5050 --deploy-mode cluster}
 * (with {@code spark.master.rest.enabled=true}), {@code --status ID} and {@code --kill ID} work unchanged against a
 * Tower master. Submissions become drivers in the core's book; the master's driver dispatcher runs them as Tower
 * tasks. Every answer, errors included, is a protocol message ({@link SparkRestProtocol}), since that is all Spark's
 * client reads; the HTTP status still says what happened (400 bad request, 404 unknown submission).
 */
@Path(SparkRestProtocol.PATH_PREFIX)
@Produces(MediaType.APPLICATION_JSON)
public final class SubmissionsResource {
    private final CallGateway gateway;
    private final CallAudit audit;
    private final Optional<String> driverSparkHome;
    private final Authorizer authorizer;
    /** The Spark property naming the role a driver's framework subscribes in (the object of submit_drivers). */
    static final String ROLE_PROPERTY = "spark.tower.role";

    /** @param driverSparkHome the master's Spark home for drivers, if it has one */
    public SubmissionsResource(CallGateway gateway, Optional<String> driverSparkHome, CallAudit audit,
                               Authorizer authorizer) {
        this.authorizer = authorizer;
        this.gateway = gateway;
        this.driverSparkHome = driverSparkHome;
        this.audit = audit;
    }

    @POST
    @Path("create")
    @Consumes(MediaType.WILDCARD)
    public void create(String body, @Context Request request, @Suspended AsyncResponse r) {
        CallAudit.Caller who = CallAudit.Caller.of(request);
        DriverSpec spec;
        try {
            spec = SparkRestProtocol.createRequest(body);
        } catch (BadInputException e) {
            String error = "bad CreateSubmissionRequest: " + e.getMessage();
            audit.submission(who, "CREATE", null, 400, error, Map.of());
            r.resume(json(400, SparkRestProtocol.error(error)));
            return;
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("mainClass", String.valueOf(spec.mainClass()));
        details.put("appResource", String.valueOf(spec.appResource()));
        Acls.Decision d = authorizer.check(who.principal(), Acls.Permission.SUBMIT_DRIVERS,
                spec.sparkProperties().getOrDefault(ROLE_PROPERTY, "*"));
        if (!d.allowed()) {
            audit.submission(who, "CREATE", null, 403, d.denial(), details);
            r.resume(json(403, SparkRestProtocol.error(d.denial())));
            return;
        }
        String home = DriverCommand.sparkHome(spec, driverSparkHome).orElse(null);
        if (home == null || !home.startsWith("/")) {
            String error = home == null
                    ? "no Spark home for the driver: start the master with --spark-home DIR (a Spark home at the same "
                    + "path on every agent), or set " + DriverCommand.SPARK_HOME_PROPERTY + " in the submission"
                    : DriverCommand.SPARK_HOME_PROPERTY + ": must be an absolute path on the agents, got '" + home
                    + "'";
            audit.submission(who, "CREATE", null, 400, error, details);
            r.resume(json(400, SparkRestProtocol.error(error)));
            return;
        }
        call(new Command.SubmitDriver(spec), r, reply -> audit.submission(who, "CREATE",
                        reply.isError() ? null : (String) reply.body(), reply.status(), reply.error(), details),
                reply -> json(200, SparkRestProtocol.created((String) reply.body())));
    }

    @GET
    @Path("status/{id}")
    public void status(@PathParam("id") String id, @Suspended AsyncResponse r) {
        call(new Command.Query(core -> core.reader().submission(id)), r, reply -> {
            @SuppressWarnings("unchecked")
            Optional<SubmissionView> found = (Optional<SubmissionView>) reply.body();
            if (found.isEmpty()) {
                return json(404, SparkRestProtocol.status(id, false, "NOT_FOUND", null, null,
                        "unknown submission " + id));
            }
            SubmissionView v = found.get();
            // Spark's client logs a status message as an error: send one only when something went wrong.
            boolean trouble = !List.of("SUBMITTED", "RUNNING", "FINISHED").contains(v.driverState());
            return json(200, SparkRestProtocol.status(id, true, v.driverState(), v.agentId(), v.hostname(),
                    trouble ? v.message() : null));
        });
    }

    @POST
    @Path("kill/{id}")
    @Consumes(MediaType.WILDCARD)
    public void kill(@PathParam("id") String id, @Context Request request, @Suspended AsyncResponse r) {
        CallAudit.Caller who = CallAudit.Caller.of(request);
        call(new Command.KillDriver(id), r, reply -> {
            if (reply.isError()) {
                audit.submission(who, "KILL", id, reply.status(), reply.error(), Map.of());
            } else {
                var outcome = (dev.tower.manager.core.DriverKill) reply.body();
                // Spark's protocol answers 200 with success false for a driver that cannot be killed (it ended).
                audit.submission(who, "KILL", id, outcome.success() ? 200 : 409,
                        outcome.success() ? null : outcome.message(), Map.of());
            }
        }, reply -> {
            var outcome = (dev.tower.manager.core.DriverKill) reply.body();
            return json(200, SparkRestProtocol.killed(id, outcome.success(), outcome.message()));
        });
    }

    @GET
    @Path("status")
    public Response statusWithoutId() {
        return json(400, SparkRestProtocol.error("missing submission id: GET /v1/submissions/status/ID"));
    }

    @POST
    @Path("kill")
    @Consumes(MediaType.WILDCARD)
    public Response killWithoutId() {
        return json(400, SparkRestProtocol.error("missing submission id: POST /v1/submissions/kill/ID"));
    }

    private void call(Command command, AsyncResponse r, java.util.function.Function<Reply, Response> ok) {
        call(command, r, reply -> { }, ok);
    }

    /** @param seen told of every reply, refusals included, before it is answered (to audit it) */
    private void call(Command command, AsyncResponse r, java.util.function.Consumer<Reply> seen,
                      java.util.function.Function<Reply, Response> ok) {
        r.setTimeout(CallGateway.REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        gateway.submit(command).thenAccept(reply -> {
            seen.accept(reply);
            if (reply.status() == 404) {
                String id = command instanceof Command.KillDriver k ? k.driverId() : "";
                r.resume(json(404, SparkRestProtocol.killed(id, false, reply.error())));
            } else if (reply.isError()) {
                r.resume(json(reply.status(), SparkRestProtocol.error(reply.error())));
            } else {
                r.resume(ok.apply(reply));
            }
        });
    }

    private static Response json(int status, String body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(body).build();
    }
}
