package dev.tower.manager.core;

import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;

import java.util.List;
import java.util.Map;

/**
 * The catalogue of {@link ClusterEvent}s: every type name, and the record each one carries as its {@code data}. This
 * is the schema consumers read (the events stream, Kafka); {@code docs/events.md} describes each field. Names are
 * {@code entity.past-tense-verb}; audit records are {@code audit.entity.action}. Every payload names the ids of the
 * entities it is about, so that a consumer needs nothing else to join it to other events. Times are milliseconds
 * since the epoch. Fields that do not apply are left out (null).
 */
public final class ClusterEvents {
    private ClusterEvents() {
    }

    // ==== agents ==================================================================================================
    public static final String AGENT_ADDED = "agent.added";
    public static final String AGENT_REREGISTERED = "agent.reregistered";
    public static final String AGENT_RECOVERING = "agent.recovering";
    public static final String AGENT_UNREACHABLE = "agent.unreachable";
    public static final String AGENT_REMOVED = "agent.removed";

    // ==== frameworks ==============================================================================================
    public static final String FRAMEWORK_SUBSCRIBED = "framework.subscribed";
    public static final String FRAMEWORK_RESUBSCRIBED = "framework.resubscribed";
    public static final String FRAMEWORK_RECOVERING = "framework.recovering";
    public static final String FRAMEWORK_DISCONNECTED = "framework.disconnected";
    public static final String FRAMEWORK_SUPPRESSED = "framework.suppressed";
    public static final String FRAMEWORK_REVIVED = "framework.revived";
    public static final String FRAMEWORK_REMOVED = "framework.removed";

    // ==== offers: each one made ends in exactly one of accepted, declined, rescinded ================================
    public static final String OFFER_MADE = "offer.made";
    public static final String OFFER_ACCEPTED = "offer.accepted";
    public static final String OFFER_DECLINED = "offer.declined";
    public static final String OFFER_RESCINDED = "offer.rescinded";

    // ==== tasks ===================================================================================================
    public static final String TASK_LAUNCHED = "task.launched";
    public static final String TASK_STATUS = "task.status";
    public static final String TASK_KILL_REQUESTED = "task.kill_requested";

    // ==== drivers submitted in cluster deploy mode (data: the SubmissionView) =======================================
    public static final String DRIVER_SUBMITTED = "driver.submitted";
    public static final String DRIVER_UPDATED = "driver.updated";

    // ==== roles and masters =======================================================================================
    public static final String WEIGHTS_UPDATED = "weights.updated";
    public static final String MASTER_ELECTED = "master.elected";
    public static final String MASTER_DEPOSED = "master.deposed";

    // ==== audit records of API calls (published by the HTTP edge, not the core) ======================================
    public static final String AUDIT_FRAMEWORK_SUBSCRIBE = "audit.framework.subscribe";
    public static final String AUDIT_FRAMEWORK_TEARDOWN = "audit.framework.teardown";
    public static final String AUDIT_FRAMEWORK_REVIVE = "audit.framework.revive";
    public static final String AUDIT_FRAMEWORK_SUPPRESS = "audit.framework.suppress";
    public static final String AUDIT_TASK_LAUNCH = "audit.task.launch";
    public static final String AUDIT_TASK_KILL = "audit.task.kill";
    public static final String AUDIT_WEIGHTS_UPDATE = "audit.weights.update";
    public static final String AUDIT_AGENT_SUBSCRIBE = "audit.agent.subscribe";
    public static final String AUDIT_CALL_MALFORMED = "audit.call.malformed";
    public static final String AUDIT_DRIVER_SUBMIT = "audit.driver.submit";
    public static final String AUDIT_DRIVER_KILL = "audit.driver.kill";

    /** Every type, in the order of the catalogue. */
    public static final List<String> TYPES = List.of(
            AGENT_ADDED, AGENT_REREGISTERED, AGENT_RECOVERING, AGENT_UNREACHABLE, AGENT_REMOVED,
            FRAMEWORK_SUBSCRIBED, FRAMEWORK_RESUBSCRIBED, FRAMEWORK_RECOVERING, FRAMEWORK_DISCONNECTED,
            FRAMEWORK_SUPPRESSED, FRAMEWORK_REVIVED, FRAMEWORK_REMOVED,
            OFFER_MADE, OFFER_ACCEPTED, OFFER_DECLINED, OFFER_RESCINDED,
            TASK_LAUNCHED, TASK_STATUS, TASK_KILL_REQUESTED, DRIVER_SUBMITTED, DRIVER_UPDATED,
            WEIGHTS_UPDATED, MASTER_ELECTED, MASTER_DEPOSED,
            AUDIT_FRAMEWORK_SUBSCRIBE, AUDIT_FRAMEWORK_TEARDOWN, AUDIT_FRAMEWORK_REVIVE, AUDIT_FRAMEWORK_SUPPRESS,
            AUDIT_TASK_LAUNCH, AUDIT_TASK_KILL, AUDIT_WEIGHTS_UPDATE, AUDIT_AGENT_SUBSCRIBE, AUDIT_CALL_MALFORMED,
            AUDIT_DRIVER_SUBMIT, AUDIT_DRIVER_KILL);

    // ==== payloads ================================================================================================

    /**
     * {@code agent.added}, {@code agent.reregistered}.
     *
     * @param previousState for a re-registration: ACTIVE (a new connection replaced the old one), UNREACHABLE, or
     *                      RECOVERING (known from the registry after a master failover)
     * @param reportedTasks how many tasks the agent said it runs
     */
    public record AgentRegistered(String agentId, String hostname, int port, Resources resources,
                                  Map<String, String> attributes, String previousState, int reportedTasks) {
        public AgentRegistered {
            attributes = sorted(attributes);
        }
    }

    /** {@code agent.recovering}: known from the registry, expected to re-subscribe by {@code reregisterDeadline}. */
    public record AgentRecovering(String agentId, String hostname, int port, Resources resources,
                                  long reregisterDeadline) {
    }

    /**
     * {@code agent.unreachable}.
     *
     * @param unreachableTasks its tasks, now UNREACHABLE
     * @param removeAt when it is removed (its tasks LOST) unless it comes back
     */
    public record AgentUnreachable(String agentId, String reason, int unreachableTasks, long removeAt) {
    }

    /** {@code agent.removed}: gone for good; {@code lostTasks} of its tasks went LOST. */
    public record AgentRemoved(String agentId, String reason, int lostTasks) {
    }

    /**
     * {@code framework.subscribed}, {@code framework.resubscribed}.
     *
     * @param principal the principal the framework claims (not authenticated)
     * @param failedOver for a re-subscription: its previous connection was still open and has been replaced
     */
    public record FrameworkSubscribed(String frameworkId, String name, String role, String principal, String user,
                                      String hostname, double failoverTimeoutSeconds, List<String> capabilities,
                                      Boolean failedOver) {
    }

    /** {@code framework.recovering}: known from the registry, removed at {@code failoverDeadline} unless it returns. */
    public record FrameworkRecovering(String frameworkId, String name, String role, long failoverDeadline) {
    }

    /** {@code framework.disconnected}: its tasks are kept until {@code failoverDeadline}. */
    public record FrameworkDisconnected(String frameworkId, double failoverTimeoutSeconds, long failoverDeadline) {
    }

    /** {@code framework.suppressed}, {@code framework.revived}. */
    public record FrameworkOffers(String frameworkId, String role) {
    }

    /** {@code framework.removed}: {@code killedTasks} of its tasks were still running and are KILLED. */
    public record FrameworkRemoved(String frameworkId, String reason, int killedTasks) {
    }

    /** {@code offer.made}. */
    public record OfferMade(String offerId, String frameworkId, String agentId, String hostname, Resources resources,
                            long expiresAt) {
    }

    /**
     * {@code offer.accepted}: one per offer of an ACCEPT; {@code taskIds} are the tasks launched on the offers of
     * that ACCEPT (an ACCEPT's offers are all of one agent).
     */
    public record OfferAccepted(String offerId, String frameworkId, String agentId, Resources resources,
                                List<String> taskIds, double refuseSeconds) {
    }

    /** {@code offer.declined}; {@code filteredUntil}: the agent is not offered to the framework again before then. */
    public record OfferDeclined(String offerId, String frameworkId, String agentId, Resources resources,
                                double refuseSeconds, Long filteredUntil) {
    }

    /** {@code offer.rescinded}. */
    public record OfferRescinded(String offerId, String frameworkId, String agentId, Resources resources,
                                 String reason) {
    }

    /**
     * {@code task.launched}. {@code command} is the shell command or the argv joined (cut at
     * {@link #COMMAND_SHOWN} characters); the task's environment is never published, it often carries secrets.
     */
    public record TaskLaunched(String frameworkId, String taskId, String agentId, String name, Resources resources,
                               String command, Map<String, String> labels) {
        public TaskLaunched {
            labels = sorted(labels);
        }
    }

    /** The longest command shown in {@code task.launched}. */
    public static final int COMMAND_SHOWN = 512;

    /**
     * {@code task.status}: every change of a task's state, from its agent or decided by the master.
     *
     * @param uuid the update's uuid, which the framework acknowledges; null for a state the master sets without an
     *             update (the tasks of a removed framework)
     * @param reportedAt when the update was made (by the agent, or the master), in milliseconds like every time here
     */
    public record TaskStatusChanged(String frameworkId, String taskId, String agentId, TaskState state,
                                    TaskState previousState, String reason, String message, Integer exitCode,
                                    TaskStatus.Source source, String uuid, long reportedAt) {
    }

    /** {@code task.kill_requested}; {@code by} is {@code framework} or {@code operator}. */
    public record TaskKillRequested(String frameworkId, String taskId, String agentId, TaskState state, String by) {
    }

    /** {@code weights.updated}: {@code updated} as asked, {@code weights} every role's weight now. */
    public record WeightsUpdated(Map<String, Double> updated, Map<String, Double> weights) {
        public WeightsUpdated {
            updated = sorted(updated);
            weights = sorted(weights);
        }
    }

    /** {@code master.elected}; a master without ZooKeeper leads at once with epoch 0 and an empty registry. */
    public record MasterElected(String masterId, String address, long epoch, int registryAgents,
                                int registryFrameworks) {
    }

    /** {@code master.deposed}: this master stopped leading (lost its ZooKeeper session, or shut down). */
    public record MasterDeposed(String masterId, String address, long epoch, String reason) {
    }

    /** Maps in payloads keep one order (by key), so that the same event always reads the same. */
    private static <V> Map<String, V> sorted(Map<String, V> map) {
        return map == null ? null : java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(map));
    }
}
