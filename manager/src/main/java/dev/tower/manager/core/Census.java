package dev.tower.manager.core;

import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskState;
import dev.tower.api.operator.RoleView;

import java.util.List;
import java.util.Map;

/**
 * Counts of the core's state for {@code /metrics}: taken on the core thread in one pass over agents, frameworks and
 * tasks, without building the operator API's per-entity views.
 *
 * @param tasks active tasks and the completed ones the master still retains, by state (every state present)
 * @param agents agents by status ({@code ACTIVE}, {@code UNREACHABLE}, {@code RECOVERING}; every status present)
 * @param frameworksConnected frameworks with an open stream
 * @param frameworksDisconnected frameworks within their failover timeout, without a stream
 * @param frameworksSuppressed frameworks that asked for no offers (SUPPRESS)
 * @param capacity the resources of every known agent
 * @param allocated of those, what tasks use plus what is offered
 * @param offersOutstanding offers made and not yet answered, rescinded or expired
 * @param roles each role's weight and dominant share
 */
public record Census(Map<TaskState, Integer> tasks, Map<String, Integer> agents, int frameworksConnected,
                     int frameworksDisconnected, int frameworksSuppressed, Resources capacity, Resources allocated,
                     int offersOutstanding, List<RoleView> roles) {
}
