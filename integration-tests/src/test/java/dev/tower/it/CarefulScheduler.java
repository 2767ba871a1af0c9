package dev.tower.it;

import dev.tower.api.client.Scheduler;
import dev.tower.api.client.SchedulerClient;
import dev.tower.api.client.SchedulerDriver;
import dev.tower.api.model.Filters;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Offer;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.scheduler.SchedulerCall;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A framework that behaves as one must across master failovers: a launch whose outcome is unknown (the master died
 * while it was in flight) is never repeated blindly. After every re-subscription it reconciles the tasks it launched
 * and has no terminal status for, and launches again only those the master answers as UNKNOWN (it never had them).
 */
final class CarefulScheduler implements Scheduler {
    private final Queue<TaskInfo> pending = new ConcurrentLinkedQueue<>();
    private final Map<String, TaskInfo> launched = new ConcurrentHashMap<>();
    private final Map<String, TaskStatus> latest = new ConcurrentHashMap<>();
    private final List<TaskStatus> updates = new CopyOnWriteArrayList<>();
    private final Set<String> relaunched = ConcurrentHashMap.newKeySet();
    private volatile int subscriptions;
    private SchedulerClient client;

    SchedulerClient start(String masterUrl, String name) throws InterruptedException {
        FrameworkInfo info = FrameworkInfo.named(name, "*").withFailoverTimeout(300.0);
        client = SchedulerClient.builder(masterUrl, info, this).build().start();
        if (!client.awaitSubscribed(Duration.ofSeconds(30))) {
            throw new AssertionError("framework " + name + " did not subscribe");
        }
        return client;
    }

    void submit(List<TaskInfo> tasks) {
        pending.addAll(tasks);
        if (client != null && client.isSubscribed()) {
            client.revive();
        }
    }

    @Override
    public void subscribed(SchedulerDriver driver, String frameworkId, boolean reconnected) {
        subscriptions++;
        if (reconnected) {
            List<SchedulerCall.Reconcile.TaskRef> unsure = new ArrayList<>();
            launched.forEach((id, task) -> {
                TaskStatus s = latest.get(id);
                if (s == null || !s.state().isTerminal()) {
                    unsure.add(new SchedulerCall.Reconcile.TaskRef(id, task.agentId()));
                }
            });
            if (!unsure.isEmpty()) {
                driver.reconcile(unsure);
            }
        }
    }

    @Override
    public void offers(SchedulerDriver driver, List<Offer> offers) {
        for (Offer offer : offers) {
            List<TaskInfo> batch = new ArrayList<>();
            Resources left = offer.resources();
            TaskInfo next;
            while ((next = pending.peek()) != null && left.contains(next.resources())) {
                pending.poll();
                left = left.minus(next.resources());
                TaskInfo t = next.withAgentId(offer.agentId());
                batch.add(t);
                launched.put(t.taskId(), t);
            }
            if (batch.isEmpty()) {
                driver.decline(List.of(offer.id()), Filters.refuse(pending.isEmpty() ? 5 : 0.2));
            } else {
                // A failed launch is left to reconciliation: the master may have passed it on before failing.
                driver.launch(List.of(offer.id()), batch, Filters.refuse(0));
            }
        }
    }

    @Override
    public void update(SchedulerDriver driver, TaskStatus status) {
        updates.add(status);
        if (status.state() == TaskState.UNKNOWN) {
            TaskInfo t = launched.get(status.taskId());
            TaskStatus known = latest.get(status.taskId());
            if (t != null && (known == null || !known.state().isTerminal())) {
                relaunched.add(t.taskId());
                submit(List.of(TaskInfo.of(t.taskId(), t.resources(), t.command())));
            }
            return;
        }
        latest.put(status.taskId(), status);
    }

    TaskState state(String taskId) {
        TaskStatus s = latest.get(taskId);
        return s == null ? null : s.state();
    }

    TaskStatus latest(String taskId) {
        return latest.get(taskId);
    }

    List<TaskStatus> updates() {
        return updates;
    }

    long countIn(TaskState state) {
        return latest.values().stream().filter(s -> s.state() == state).count();
    }

    int subscriptions() {
        return subscriptions;
    }

    /** Tasks launched a second time because the master answered UNKNOWN for them. */
    Set<String> relaunched() {
        return relaunched;
    }
}
