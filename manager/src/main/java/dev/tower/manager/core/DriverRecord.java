package dev.tower.manager.core;

import dev.tower.api.operator.SubmissionView;

import java.util.ArrayList;
import java.util.List;

/** A submitted driver as the core keeps it (mutable, core thread only). */
final class DriverRecord {
    final String id;
    final DriverSpec spec;
    final long submittedAt;
    DriverState state = DriverState.SUBMITTED;
    int launches;
    /** The live task, or the last one once the driver ended; null before the first launch. */
    String taskId;
    /** Whether {@link #taskId} is still running (or about to): never two driver tasks at once. */
    boolean taskLive;
    String agentId;
    String hostname;
    boolean killRequested;
    String message;
    /** For RELAUNCHING: not launched again before this (epoch millis). */
    long relaunchAt;
    long endedAt;
    final List<String> taskIds = new ArrayList<>();

    DriverRecord(String id, DriverSpec spec, long submittedAt) {
        this.id = id;
        this.spec = spec;
        this.submittedAt = submittedAt;
    }

    static DriverRecord restore(RegistrySnapshot.SavedDriver s) {
        DriverRecord d = new DriverRecord(s.id(), s.spec(), s.submittedAt());
        d.state = s.state() == null ? DriverState.SUBMITTED : s.state();
        d.launches = s.launches();
        d.taskId = s.taskId();
        d.taskLive = s.taskLive();
        d.agentId = s.agentId();
        d.hostname = s.hostname();
        d.killRequested = s.killRequested();
        d.message = s.message();
        d.relaunchAt = s.relaunchAt();
        d.endedAt = s.endedAt();
        d.taskIds.addAll(s.taskIds());
        return d;
    }

    RegistrySnapshot.SavedDriver saved() {
        return new RegistrySnapshot.SavedDriver(id, spec, state, launches, taskId, taskLive, agentId, hostname,
                killRequested, message, submittedAt, relaunchAt, endedAt, taskIds);
    }

    /** Waiting for a task to be started: queued, or due for a relaunch. */
    boolean launchable(long now) {
        return !taskLive && !killRequested && (state == DriverState.SUBMITTED
                || state == DriverState.RELAUNCHING && relaunchAt <= now);
    }

    SubmissionView view(String frameworkId) {
        return new SubmissionView(id, spec.appName(), spec.mainClass(), spec.appResource(), spec.appArgs(),
                spec.supervise(), state.name(), launches, taskId, agentId, hostname, frameworkId, message,
                submittedAt, state == DriverState.RELAUNCHING ? relaunchAt : null, endedAt == 0 ? null : endedAt,
                taskIds);
    }
}
