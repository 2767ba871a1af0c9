package dev.tower.manager.bench;

import dev.tower.api.agent.AgentCall;
import dev.tower.api.agent.AgentEvent;
import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Filters;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Offer;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.api.scheduler.SchedulerEvent;
import dev.tower.manager.core.Command;
import dev.tower.manager.core.Effect;
import dev.tower.manager.core.IdGenerator;
import dev.tower.manager.core.MasterConfig;
import dev.tower.manager.core.MasterCore;
import dev.tower.manager.core.Outcome;

import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole cluster around one {@link MasterCore}, in one thread and without HTTP: simulated agents and frameworks
 * turn the core's effects into their next calls, which queue up (FIFO) as commands for the core.
 *
 * <p>Frameworks have an endless backlog of small tasks: each offer is accepted at once with a LAUNCH of as many
 * tasks as fit (refuse 0 s, so what is left stays offerable). Agents run a task in no time: on RunTask they send
 * RUNNING, on its acknowledgement FINISHED; frameworks acknowledge every update. A task counts when its agent gets
 * the acknowledgement of FINISHED: launched, run, finished and settled. The core's clock is the system clock and a
 * Tick (timers, batch allocation) is handled every 100 ms of wall time, as the master's allocation interval.
 */
final class CoreSimulation {
    static final Resources AGENT = Resources.parse("cpus:16;mem:65536;disk:100000;ports:[31000-32000]");
    static final Resources TASK = Resources.parse("cpus:0.25;mem:1024");
    static final CommandInfo COMMAND = CommandInfo.shell("true");
    static final long TICK_NANOS = 100_000_000L;
    private static final Filters REFUSE_NONE = Filters.refuse(0);
    private static final Filters REFUSE_1S = Filters.refuse(1);

    final MasterCore core;
    private final ArrayDeque<Command> queue = new ArrayDeque<>();
    private final Map<String, Integer> taskCounters = new HashMap<>();
    private final int maxTasksPerOffer;
    private long nextTick;

    long finished;
    long launched;
    long offers;
    long commands;

    CoreSimulation(int agents, int frameworks, int roles, int maxTasksPerOffer) {
        this.maxTasksPerOffer = maxTasksPerOffer;
        Map<String, Double> weights = new HashMap<>();
        for (int r = 0; r < roles; r++) {
            weights.put("role-" + r, 1.0 + r);
        }
        core = new MasterCore(MasterConfig.defaults().withWeights(weights), InstantSource.system(), IdGenerator.random());
        for (int i = 0; i < agents; i++) {
            AgentInfo info = new AgentInfo(null, "host-" + i, 5051, AGENT, Map.of());
            absorb(core.handle(new Command.SubscribeAgent("agent-stream-" + i, new AgentCall.Subscribe(info, List.of()))));
        }
        for (int i = 0; i < frameworks; i++) {
            FrameworkInfo info = FrameworkInfo.named("bench-" + i, "role-" + (i % roles));
            absorb(core.handle(new Command.SubscribeFramework("fw-stream-" + i, new SchedulerCall.Subscribe(info))));
        }
        tick();
    }

    /** Handles the next queued command (or a due Tick) and queues what agents and frameworks do in answer. */
    void step() {
        if (System.nanoTime() >= nextTick || queue.isEmpty()) {
            tick();
            return;
        }
        commands++;
        absorb(core.handle(queue.poll()));
    }

    private void tick() {
        nextTick = System.nanoTime() + TICK_NANOS;
        commands++;
        absorb(core.handle(new Command.Tick()));
    }

    int queued() {
        return queue.size();
    }

    private void absorb(Outcome outcome) {
        if (outcome.reply().isError()) {
            throw new IllegalStateException("core rejected a call: " + outcome.reply().error());
        }
        for (Effect e : outcome.effects()) {
            if (e instanceof Effect.ToFramework tf) {
                toFramework(tf);
            } else if (e instanceof Effect.ToAgent ta) {
                toAgent(ta);
            }
        }
    }

    private void toFramework(Effect.ToFramework tf) {
        if (tf.event() instanceof SchedulerEvent.Offers o) {
            for (Offer offer : o.offers()) {
                offers++;
                accept(tf.connectionId(), offer);
            }
        } else if (tf.event() instanceof SchedulerEvent.Update u && u.status().uuid() != null) {
            TaskStatus s = u.status();
            queue.add(new Command.FromFramework(tf.connectionId(),
                    new SchedulerCall.Acknowledge(s.frameworkId(), s.agentId(), s.taskId(), s.uuid())));
        }
    }

    private void accept(String stream, Offer offer) {
        Resources r = offer.resources();
        int fit = (int) Math.min(Math.floor(r.cpus() / TASK.cpus() + 1e-9), Math.floor(r.mem() / TASK.mem() + 1e-9));
        int n = Math.min(fit, maxTasksPerOffer);
        if (n <= 0) {
            queue.add(new Command.FromFramework(stream,
                    new SchedulerCall.Decline(offer.frameworkId(), List.of(offer.id()), REFUSE_1S)));
            return;
        }
        int next = taskCounters.getOrDefault(offer.frameworkId(), 0);
        List<TaskInfo> tasks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            tasks.add(TaskInfo.of("task-" + (next + i), TASK, COMMAND));
        }
        taskCounters.put(offer.frameworkId(), next + n);
        launched += n;
        queue.add(new Command.FromFramework(stream,
                SchedulerCall.Accept.launch(offer.frameworkId(), List.of(offer.id()), tasks, REFUSE_NONE)));
    }

    private void toAgent(Effect.ToAgent ta) {
        if (ta.event() instanceof AgentEvent.RunTask run) {
            queue.add(update(ta, run.frameworkId(), run.task().taskId(), TaskState.RUNNING, "R-"));
        } else if (ta.event() instanceof AgentEvent.Acknowledged ack) {
            if (ack.uuid().startsWith("R-")) {
                queue.add(update(ta, ack.frameworkId(), ack.taskId(), TaskState.FINISHED, "F-"));
            } else {
                finished++;
            }
        }
    }

    private static Command update(Effect.ToAgent ta, String frameworkId, String taskId, TaskState state, String tag) {
        TaskStatus s = new TaskStatus(taskId, frameworkId, ta.agentId(), state, null, null,
                state == TaskState.FINISHED ? 0 : null, tag + frameworkId + "/" + taskId, TaskStatus.Source.AGENT, 0);
        return new Command.FromAgent(ta.connectionId(), new AgentCall.Update(ta.agentId(), s));
    }
}
