package dev.tower.manager.http;

import dev.tower.api.codec.BadInputException;
import dev.tower.api.codec.Json;
import dev.tower.api.model.TaskState;
import dev.tower.api.operator.OperatorCall;
import dev.tower.manager.security.Acls;
import java.util.concurrent.CompletableFuture;
import dev.tower.api.operator.ResourceSample;
import dev.tower.api.operator.StateView;
import dev.tower.api.operator.SummaryView;
import dev.tower.api.operator.TaskView;
import dev.tower.manager.core.Command;
import dev.tower.manager.core.Reply;
import dev.tower.manager.core.StateReader;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.glassfish.grizzly.http.server.Request;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/** The operator API: reads of the cluster state, why-not explanations, and operator calls. */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
public final class OperatorResource {
    private final CallGateway gateway;
    private final String masterId;
    private final Supplier<HealthView> health;
    private final CallAudit audit;
    private final Supplier<List<ResourceSample>> history;
    private final Authorizer authorizer;
    /** The most tasks one page of {@code GET /api/v1/tasks?limit=} holds. */
    static final int MAX_PAGE = 1000;

    public OperatorResource(CallGateway gateway, String masterId, Supplier<HealthView> health, CallAudit audit,
                            Supplier<List<ResourceSample>> history, Authorizer authorizer) {
        this.authorizer = authorizer;
        this.history = history;
        this.gateway = gateway;
        this.masterId = masterId;
        this.health = health;
        this.audit = audit;
    }

    /** Answered by this master whatever its role (standbys redirect every other path to the leader). */
    @GET
    @Path("health")
    public Response health() {
        // Readable from any origin: a web UI page whose master died asks the other masters which one leads now.
        return Response.ok(Json.write(health.get()), MediaType.APPLICATION_JSON_TYPE)
                .header("Access-Control-Allow-Origin", "*").build();
    }

    @GET
    @Path("api/v1/state")
    public void state(@QueryParam("completed") @DefaultValue("1000") int completed, @Suspended AsyncResponse r) {
        read(r, s -> {
            var v = s.state(Math.max(0, completed));
            return new StateView(masterId, v.version(), v.startedAt(), v.total(), v.allocated(),
                    v.agents(), v.frameworks(), v.tasks(), v.completedTasks(), v.roles());
        });
    }

    @GET
    @Path("api/v1/agents")
    public void agents(@Suspended AsyncResponse r) {
        read(r, StateReader::agents);
    }

    @GET
    @Path("api/v1/frameworks")
    public void frameworks(@Suspended AsyncResponse r) {
        read(r, StateReader::frameworks);
    }

    @GET
    @Path("api/v1/roles")
    public void roles(@Suspended AsyncResponse r) {
        read(r, StateReader::roles);
    }

    /**
     * Active tasks, then the most recent completed ones; {@code state}, {@code framework}, {@code agent} and {@code q}
     * (part of the id or name) filter. With {@code limit}, one page from {@code offset} (newest first with
     * {@code order=newest}), and the number of matching tasks in the {@code X-Total-Count} header.
     */
    @GET
    @Path("api/v1/tasks")
    public void tasks(@QueryParam("state") String state, @QueryParam("framework") String framework,
                      @QueryParam("agent") String agent, @QueryParam("q") String text,
                      @QueryParam("completed") @DefaultValue("1000") int completed,
                      @QueryParam("offset") @DefaultValue("0") int offset, @QueryParam("limit") Integer limit,
                      @QueryParam("order") @DefaultValue("oldest") String order, @Suspended AsyncResponse r) {
        TaskState wanted = null;
        if (state != null && !state.isBlank()) {
            try {
                wanted = TaskState.valueOf(state.trim().toUpperCase());
            } catch (IllegalArgumentException e) {
                r.resume(Replies.error(400, "state: unknown task state '" + state + "'"));
                return;
            }
        }
        if (!order.equals("oldest") && !order.equals("newest")) {
            r.resume(Replies.error(400, "order: must be 'oldest' or 'newest', not '" + order + "'"));
            return;
        }
        if (offset < 0 || limit != null && (limit < 0 || limit > MAX_PAGE)) {
            r.resume(Replies.error(400, offset < 0 ? "offset: must be >= 0" : "limit: must be 0.." + MAX_PAGE));
            return;
        }
        StateReader.TaskFilter filter = new StateReader.TaskFilter(wanted, blankToNull(framework), blankToNull(agent),
                blankToNull(text));
        if (limit != null) {
            r.setTimeout(30, TimeUnit.SECONDS);
            boolean newest = order.equals("newest");
            gateway.submit(new Command.Query(core -> core.reader().tasks(filter, newest, offset, limit)))
                    .thenAccept(reply -> r.resume(reply.body() instanceof StateReader.TaskPage p ? page(p)
                            : Replies.toResponse(reply)));
            return;
        }
        read(r, s -> {
            List<TaskView> all = new ArrayList<>(s.tasks());
            all.addAll(s.completedTasks(Math.max(0, completed)));
            all.removeIf(t -> !filter.keeps(t));
            return all;
        });
    }

    private static Response page(StateReader.TaskPage page) {
        return Response.ok(Json.write(page.tasks()), MediaType.APPLICATION_JSON_TYPE)
                .header("X-Total-Count", page.total()).build();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** Counts and totals: the web UI's overview, cheap at any cluster size. */
    @GET
    @Path("api/v1/summary")
    public void summary(@Suspended AsyncResponse r) {
        read(r, s -> {
            var v = s.summary();
            return new SummaryView(masterId, v.version(), v.startedAt(), v.epoch(), v.agents(),
                    v.frameworks(), v.tasks(), v.offers(), v.total(), v.allocated(), v.roles());
        });
    }

    /** The cluster's total and allocated resources over the last hour, oldest first. */
    @GET
    @Path("api/v1/history")
    public String history() {
        return Json.write(history.get());
    }

    @GET
    @Path("api/v1/tasks/{taskId}")
    public void task(@PathParam("taskId") String taskId, @Suspended AsyncResponse r) {
        gateway.call(new Command.Query(core -> {
            List<TaskView> found = core.reader().tasksWithId(taskId);
            return found.isEmpty() ? Reply.notFound("taskId: unknown task '" + taskId + "'") : Reply.ok(found);
        }), reply -> unwrap(reply), r);
    }

    /** Drivers submitted in cluster deploy mode ({@code spark-submit --deploy-mode cluster}) and their states. */
    @GET
    @Path("api/v1/submissions")
    public void submissions(@Suspended AsyncResponse r) {
        read(r, StateReader::submissions);
    }

    @GET
    @Path("api/v1/submissions/{id}")
    public void submission(@PathParam("id") String id, @Suspended AsyncResponse r) {
        gateway.call(new Command.Query(core -> core.reader().submission(id).<Reply>map(Reply::ok)
                .orElse(Reply.notFound("submissionId: unknown submission '" + id + "'"))), reply -> unwrap(reply), r);
    }

    /** Why a framework is not being offered each agent's resources (or one agent's, with {@code agent}). */
    @GET
    @Path("api/v1/whynot")
    public void whyNot(@QueryParam("framework") String framework, @QueryParam("agent") String agent,
                       @Suspended AsyncResponse r) {
        if (framework == null || framework.isBlank()) {
            r.resume(Replies.error(400, "framework: missing query parameter"));
            return;
        }
        gateway.call(new Command.Query(core -> core.reader().whyNot(framework, agent)
                .<Object>map(Reply::ok)
                .orElse(Reply.notFound("framework: unknown framework '" + framework + "'"))), reply -> unwrap(reply), r);
    }

    /** Every operator call changes the cluster: each is audited with its outcome. */
    @POST
    @Path("api/v1/operator")
    @Consumes(MediaType.WILDCARD)
    public void operator(String body, @Context Request request, @Suspended AsyncResponse r) {
        CallAudit.Caller who = CallAudit.Caller.of(request);
        OperatorCall call;
        try {
            call = Json.read(body, OperatorCall.class);
        } catch (BadInputException e) {
            audit.undecodable(who, "operator", body, 400, e.getMessage());
            throw e;
        }
        authorize(who.principal(), call).thenAccept(d -> {
            if (!d.allowed()) {
                Reply refused = Authorizer.forbidden(d);
                audit.operator(who, call, refused);
                r.resume(Replies.toResponse(refused));
                return;
            }
            gateway.call(new Command.Operator(call), reply -> {
                audit.operator(who, call, reply);
                return reply;
            }, r);
        });
    }

    private CompletableFuture<Acls.Decision> authorize(String principal, OperatorCall call) {
        if (call instanceof OperatorCall.UpdateWeights w) {
            return CompletableFuture.completedFuture(authorizer.checkAll(principal, Acls.Permission.UPDATE_WEIGHTS,
                    w.weights() == null ? List.of() : w.weights().keySet()));
        }
        if (call instanceof OperatorCall.Teardown t) {
            return authorizer.checkFramework(principal, Acls.Permission.TEARDOWN_FRAMEWORKS, t.frameworkId());
        }
        if (call instanceof OperatorCall.KillTask k) {
            return authorizer.checkFramework(principal, Acls.Permission.KILL_TASKS, k.frameworkId());
        }
        return CompletableFuture.completedFuture(Acls.Decision.ALLOWED);
    }

    private void read(AsyncResponse r, Function<StateReader, Object> view) {
        gateway.call(new Command.Query(core -> view.apply(core.reader())), r);
    }

    private static Reply unwrap(Reply reply) {
        return reply.body() instanceof Reply inner ? inner : reply;
    }
}
