package dev.tower.manager.core;

import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.operator.SubmissionView;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The book of drivers submitted in cluster deploy mode, part of the core: their ids, specs and states, the rules
 * of their life (one task at a time, supervised relaunch with backoff up to a retry limit, kill whether queued or
 * running), and the durable record of each change.
 * <p>
 * Why here, and not in the dispatcher that launches them: the state must be durable (a new leader must know every
 * submission id), consistent with what status queries answer, and safe against two launches of one driver. The
 * core already owns durable, fenced state and serialises every change on its one thread; the dispatcher — an
 * ordinary framework inside the master ({@code dev.tower.manager.dispatch}) — gets offers and task updates like any
 * other and asks the book, through commands, which driver to launch ({@link #claim}) and what an update means
 * ({@link #taskStatus}). So the book decides, and the dispatcher only carries decisions out.
 */
final class Drivers {
    /** Ended drivers remembered (and kept in the registry); older ones are forgotten. */
    static final int ENDED_KEPT = 1000;

    /** What the book needs of the core: its effects, timers and ids. */
    interface Host {
        void emit(Effect effect);

        void relaunchTimer(long at, String driverId);

        String nextId(String prefix);
    }

    private final DriverPolicy policy;
    private final Host host;
    private final Map<String, DriverRecord> drivers = new LinkedHashMap<>();
    private final Map<String, String> driverByTask = new HashMap<>();
    /** The dispatcher's framework, as its claims name it. */
    private String frameworkId;

    Drivers(DriverPolicy policy, Host host) {
        this.policy = policy;
        this.host = host;
    }

    void restore(Collection<RegistrySnapshot.SavedDriver> saved) {
        saved.stream().sorted(java.util.Comparator.comparingLong(RegistrySnapshot.SavedDriver::submittedAt)
                        .thenComparing(RegistrySnapshot.SavedDriver::id))
                .forEach(s -> {
                    if (s.id() == null || s.spec() == null) {
                        return;
                    }
                    DriverRecord d = DriverRecord.restore(s);
                    drivers.put(d.id, d);
                    for (String t : d.taskIds) {
                        driverByTask.put(t, d.id);
                    }
                    if (d.state == DriverState.RELAUNCHING) {
                        host.relaunchTimer(d.relaunchAt, d.id);
                    }
                });
        if (drivers.values().stream().anyMatch(d -> !d.state.isTerminal())) {
            host.emit(new Effect.DriversChanged());
        }
    }

    String submit(DriverSpec spec, long now) {
        DriverRecord d = new DriverRecord(host.nextId("driver"), spec, now);
        d.message = "waiting for an agent with room for the driver";
        drivers.put(d.id, d);
        changed(d, now, ClusterEvents.DRIVER_SUBMITTED, "driver " + d.id + " (" + spec.appName() + ", "
                + spec.mainClass() + ") submitted" + (spec.supervise() ? ", supervised" : ""));
        return d.id;
    }

    Optional<DriverKill> kill(String id, long now) {
        DriverRecord d = drivers.get(id);
        if (d == null) {
            return Optional.empty();
        }
        if (d.state.isTerminal()) {
            return Optional.of(new DriverKill(false, "driver " + id + " already ended: " + d.state));
        }
        if (!d.taskLive) {
            d.state = DriverState.KILLED;
            d.killRequested = true;
            d.message = "killed on request before it was " + (d.launches == 0 ? "launched" : "relaunched");
            d.endedAt = now;
            changed(d, now, ClusterEvents.DRIVER_UPDATED, "driver " + id + " killed (not running)");
            forgetOldest(now);
            return Optional.of(new DriverKill(true, "driver " + id + " killed"));
        }
        if (!d.killRequested) {
            d.killRequested = true;
            d.message = "kill requested; stopping task " + d.taskId;
            changed(d, now, ClusterEvents.DRIVER_UPDATED, "kill of driver " + id + " (task " + d.taskId + ") requested");
        }
        return Optional.of(new DriverKill(true, "kill of driver " + id + " requested"));
    }

    /**
     * The dispatcher would start {@code taskId} for driver {@code id}: allowed only if the driver waits for a launch
     * (so never while a task of it may still run). Empty when allowed, else why not.
     */
    Optional<String> claim(String id, String framework, String taskId, String agentId, String hostname, long now) {
        DriverRecord d = drivers.get(id);
        if (d == null) {
            return Optional.of("unknown driver " + id);
        }
        if (!d.launchable(now)) {
            return Optional.of("driver " + id + " is not waiting for a launch (" + d.state
                    + (d.taskLive ? ", task " + d.taskId + " live" : "") + (d.killRequested ? ", killed" : "") + ")");
        }
        if (driverByTask.containsKey(taskId)) {
            return Optional.of("task id " + taskId + " was used before");
        }
        frameworkId = framework;
        d.launches++;
        d.taskId = taskId;
        d.taskLive = true;
        d.agentId = agentId;
        d.hostname = hostname;
        d.taskIds.add(taskId);
        d.message = "launch " + d.launches + " as task " + taskId + " on agent " + agentId;
        driverByTask.put(taskId, id);
        changed(d, now, ClusterEvents.DRIVER_UPDATED, "driver " + id + " launching as task " + taskId + " on agent "
                + agentId);
        return Optional.empty();
    }

    /** A claimed launch did not happen (the offer went away, say): the driver waits for another offer. */
    void unclaim(String id, String taskId, String why, long now) {
        DriverRecord d = drivers.get(id);
        if (d == null || !taskId.equals(d.taskId) || !d.taskLive) {
            return;
        }
        d.taskLive = false;
        d.launches--;
        d.taskIds.remove(taskId);
        driverByTask.remove(taskId);
        d.taskId = d.taskIds.isEmpty() ? null : d.taskIds.get(d.taskIds.size() - 1);
        d.message = "launch as " + taskId + " did not happen (" + why + "); waiting for another offer";
        changed(d, now, ClusterEvents.DRIVER_UPDATED, "driver " + id + ": launch as " + taskId + " abandoned: " + why);
    }

    /** A status of one of the dispatcher's tasks. Updates of tasks that are not a driver's current one change nothing. */
    void taskStatus(TaskStatus s, long now) {
        String id = driverByTask.get(s.taskId());
        DriverRecord d = id == null ? null : drivers.get(id);
        if (d == null || !s.taskId().equals(d.taskId) || !d.taskLive) {
            return;
        }
        TaskState ts = s.state();
        if (!ts.isTerminal()) {
            if (ts == TaskState.RUNNING && d.state != DriverState.RUNNING) {
                d.state = DriverState.RUNNING;
                d.message = "running as task " + d.taskId + " on agent " + d.agentId
                        + (d.launches > 1 ? " (launch " + d.launches + ")" : "");
                changed(d, now, ClusterEvents.DRIVER_UPDATED, "driver " + id + " running as task " + d.taskId);
            }
            return;
        }
        d.taskLive = false;
        String what = "task " + d.taskId + " " + ts + (s.exitCode() == null ? "" : " with exit code " + s.exitCode())
                + (s.message() == null || s.message().isBlank() ? "" : ": " + s.message());
        if (d.killRequested) {
            end(d, DriverState.KILLED, "killed on request (" + what + ")", now);
        } else if (ts == TaskState.FINISHED) {
            end(d, DriverState.FINISHED, "finished (" + what + ")", now);
        } else if (d.spec.supervise() && d.launches <= policy.maxRetries()) {
            long wait = policy.backoffMillis(d.launches);
            d.state = DriverState.RELAUNCHING;
            d.relaunchAt = now + wait;
            d.message = what + "; relaunch " + d.launches + " of at most " + policy.maxRetries() + " in "
                    + wait / 1000.0 + " s";
            host.relaunchTimer(d.relaunchAt, d.id);
            changed(d, now, ClusterEvents.DRIVER_UPDATED, "driver " + id + ": " + d.message);
        } else {
            DriverState end = ts == TaskState.FAILED || ts == TaskState.KILLED ? DriverState.FAILED : DriverState.ERROR;
            end(d, end, what + (d.spec.supervise() ? "; gave up after " + d.launches + " launches (at most "
                    + policy.maxRetries() + " relaunches)" : ""), now);
        }
    }

    /** A RELAUNCHING driver's wait is over: the dispatcher may launch it. */
    void relaunchDue(String id, long now) {
        DriverRecord d = drivers.get(id);
        if (d != null && d.state == DriverState.RELAUNCHING && d.relaunchAt <= now && !d.taskLive) {
            host.emit(new Effect.DriversChanged());
        }
    }

    private void end(DriverRecord d, DriverState state, String message, long now) {
        d.state = state;
        d.message = message;
        d.endedAt = now;
        changed(d, now, ClusterEvents.DRIVER_UPDATED, "driver " + d.id + " " + state + ": " + message);
        forgetOldest(now);
    }

    private void changed(DriverRecord d, long now, String type, String summary) {
        SubmissionView view = d.view(frameworkId);
        host.emit(new Effect.Persist(new RegistryChange.DriverSaved(d.saved())));
        host.emit(new Effect.Publish(new ClusterEvent(type, d.id, summary, view, now)));
        host.emit(new Effect.DriversChanged());
    }

    private void forgetOldest(long now) {
        long ended = drivers.values().stream().filter(d -> d.state.isTerminal()).count();
        var it = drivers.values().iterator();
        while (ended > ENDED_KEPT && it.hasNext()) {
            DriverRecord d = it.next();
            if (d.state.isTerminal()) {
                it.remove();
                d.taskIds.forEach(driverByTask::remove);
                host.emit(new Effect.Persist(new RegistryChange.DriverRemoved(d.id)));
                ended--;
            }
        }
    }

    // ---- reads ----

    Optional<SubmissionView> view(String id) {
        DriverRecord d = drivers.get(id);
        return d == null ? Optional.empty() : Optional.of(d.view(frameworkId));
    }

    List<SubmissionView> views() {
        List<SubmissionView> out = new ArrayList<>();
        for (DriverRecord d : drivers.values()) {
            out.add(d.view(frameworkId));
        }
        return out;
    }

    /** Drivers waiting for a task, oldest submission first. */
    List<RegistrySnapshot.SavedDriver> launchable(long now) {
        return drivers.values().stream().filter(d -> d.launchable(now)).map(DriverRecord::saved).toList();
    }

    /** Drivers to stop: {@code [driverId, taskId, agentId]} of each live task whose driver was killed. */
    List<List<String>> killTargets() {
        return drivers.values().stream().filter(d -> d.killRequested && d.taskLive)
                .map(d -> java.util.Arrays.asList(d.id, d.taskId, d.agentId)).toList();
    }

    /** When the next RELAUNCHING driver is due, if any is waiting. */
    Optional<Long> nextRelaunch() {
        return drivers.values().stream().filter(d -> d.state == DriverState.RELAUNCHING && !d.taskLive)
                .map(d -> d.relaunchAt).min(Long::compare);
    }
}
