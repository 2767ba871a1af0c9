package dev.tower.api.client;

import dev.tower.api.model.Filters;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.scheduler.Operation;
import dev.tower.api.scheduler.SchedulerCall;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The calls a framework makes to the master. Each future completes when the master has accepted the call (202),
 * fails with {@link CallRejectedException} carrying the master's error when it rejects it, and fails at once with
 * {@link IllegalStateException} "not subscribed" while the client has no subscription.
 */
public interface SchedulerDriver {

    /** The id the master gave this framework, once subscribed (or the one it was built with). */
    Optional<String> frameworkId();

    /**
     * Accepts offers by launching tasks on them: one LAUNCH operation. (Named {@code launch} rather than an
     * {@code accept} overload because {@code List<TaskInfo>} and {@code List<Operation>} erase alike.)
     */
    CompletableFuture<Void> launch(List<String> offerIds, List<TaskInfo> tasks, Filters filters);

    CompletableFuture<Void> accept(List<String> offerIds, List<Operation> operations, Filters filters);

    CompletableFuture<Void> decline(List<String> offerIds, Filters filters);

    CompletableFuture<Void> kill(String taskId, String agentId);

    /** Acknowledges an update; needed only with auto-acknowledgement off. Fails for updates without a uuid. */
    CompletableFuture<Void> acknowledge(TaskStatus status);

    /** Asks for the latest status of these tasks; an empty list asks for every task of the framework. */
    CompletableFuture<Void> reconcile(List<SchedulerCall.Reconcile.TaskRef> tasks);

    /** Clears offer filters and resumes offers after {@link #suppress}. */
    CompletableFuture<Void> revive();

    /** Stops offers until {@link #revive}. */
    CompletableFuture<Void> suppress();

    /** Ends the framework at the master (its tasks are killed); the client then stops for good. */
    CompletableFuture<Void> teardown();
}
