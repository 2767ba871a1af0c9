package dev.tower.manager.core;

import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One task as the master tracks it, including the status updates its framework has not acknowledged yet.
 * The task stays here until its terminal update is acknowledged, then moves to the completed list.
 */
final class TaskRecord {
    static final int HISTORY_KEPT = 32;

    final String key;
    final String frameworkId;
    final TaskInfo info;
    final String agentId;
    TaskState state = TaskState.STAGING;
    /** A terminal status went to the framework; later updates from the agent are settled but not forwarded. */
    boolean terminalSent;
    boolean killRequested;
    Double killGracePeriod;
    final List<TaskStatus> history = new ArrayList<>();
    final Deque<TaskStatus> unacked = new ArrayDeque<>();
    final Set<String> acked = new HashSet<>();
    long retryAt;
    long retryDelay;

    TaskRecord(String frameworkId, TaskInfo info, String agentId) {
        this.key = key(frameworkId, info.taskId());
        this.frameworkId = frameworkId;
        this.info = info;
        this.agentId = agentId;
    }

    static String key(String frameworkId, String taskId) {
        return frameworkId + "/" + taskId;
    }

    void record(TaskStatus status) {
        history.add(status);
        if (history.size() > HISTORY_KEPT) {
            history.remove(1); // keep the first (how it started) and the most recent ones
        }
    }

    boolean isUnacked(String uuid) {
        for (TaskStatus s : unacked) {
            if (uuid.equals(s.uuid())) {
                return true;
            }
        }
        return false;
    }

    TaskStatus removeUnacked(String uuid) {
        for (var it = unacked.iterator(); it.hasNext(); ) {
            TaskStatus s = it.next();
            if (uuid.equals(s.uuid())) {
                it.remove();
                return s;
            }
        }
        return null;
    }
}
