package dev.tower.manager.http;

import dev.tower.api.operator.FrameworkView;
import dev.tower.api.operator.TaskView;
import dev.tower.manager.core.Command;
import dev.tower.manager.core.Reply;
import dev.tower.manager.security.Acls;
import dev.tower.manager.security.Acls.Decision;
import dev.tower.manager.security.Acls.Permission;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The master's ACL checks at the API's edge. Checks whose object is another framework's principal read it through
 * the core, like any query; with permissive ACLs and no rules they cost nothing. A denial becomes a {@code 403} reply
 * naming the missing permission, audited by the caller like any rejected call.
 */
public final class Authorizer {
    private final Acls acls;
    private final CallGateway gateway;

    public Authorizer(Acls acls, CallGateway gateway) {
        this.acls = acls;
        this.gateway = gateway;
    }

    public Decision check(String principal, Permission permission, String object) {
        return acls.check(principal, permission, object);
    }

    /** Allowed on every object, or the first denial. */
    public Decision checkAll(String principal, Permission permission, Iterable<String> objects) {
        for (String o : objects) {
            Decision d = acls.check(principal, permission, o);
            if (!d.allowed()) {
                return d;
            }
        }
        return Decision.ALLOWED;
    }

    /** May {@code principal} do {@code permission} to the framework {@code frameworkId} (by its principal)? */
    public CompletableFuture<Decision> checkFramework(String principal, Permission permission, String frameworkId) {
        if (acls.isOpen()) {
            return CompletableFuture.completedFuture(Decision.ALLOWED);
        }
        return gateway.submit(new Command.Query(core -> core.reader().frameworks().stream()
                        .filter(f -> f.id().equals(frameworkId)).findFirst().map(FrameworkView::principal)
                        .orElse(null)))
                .thenApply(reply -> acls.check(principal, permission, reply.body() instanceof String p ? p : null));
    }

    /**
     * May {@code principal} read the sandbox of task {@code taskId} (of {@code frameworkId}, or of every framework
     * that has a task with that id)?
     */
    public CompletableFuture<Decision> checkSandbox(String principal, String frameworkId, String taskId) {
        if (acls.isOpen()) {
            return CompletableFuture.completedFuture(Decision.ALLOWED);
        }
        return gateway.submit(new Command.Query(core -> {
            Set<String> frameworks = new LinkedHashSet<>();
            if (frameworkId != null && !frameworkId.isEmpty()) {
                frameworks.add(frameworkId);
            } else {
                core.reader().tasksWithId(taskId).stream().map(TaskView::frameworkId).forEach(frameworks::add);
            }
            List<String> principals = new ArrayList<>();
            for (FrameworkView f : core.reader().frameworks()) {
                if (frameworks.contains(f.id())) {
                    principals.add(f.principal());
                }
            }
            return principals;
        })).thenApply(reply -> {
            @SuppressWarnings("unchecked")
            List<String> principals = reply.body() instanceof List<?> l ? (List<String>) l : List.of();
            for (String p : principals) {
                Decision d = acls.check(principal, Permission.VIEW_SANDBOXES, p);
                if (!d.allowed()) {
                    return d;
                }
            }
            return Decision.ALLOWED;
        });
    }

    public static Reply forbidden(Decision d) {
        return new Reply(403, null, d.denial());
    }
}
