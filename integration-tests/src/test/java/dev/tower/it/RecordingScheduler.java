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

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A test framework: launches the tasks queued with {@link #submit} on the offers it gets (packing as many as fit,
 * only on agents the filter allows), declines the rest, and records every status update it receives.
 */
public final class RecordingScheduler implements Scheduler {
    private final Queue<TaskInfo> pending = new ConcurrentLinkedQueue<>();
    private final List<TaskStatus> updates = new CopyOnWriteArrayList<>();
    private final Map<String, TaskStatus> latest = new ConcurrentHashMap<>();
    private final List<String> launchErrors = new CopyOnWriteArrayList<>();
    private volatile Predicate<Offer> agentFilter = o -> true;
    private SchedulerClient client;

    /** Starts a client for this scheduler against the cluster and waits for its subscription. */
    public SchedulerClient start(Cluster cluster, String name) throws InterruptedException {
        client = SchedulerClient.builder(cluster.master(), FrameworkInfo.named(name, "*"), this).build().start();
        if (!client.awaitSubscribed(Duration.ofSeconds(20))) {
            throw new AssertionError("framework " + name + " did not subscribe");
        }
        return client;
    }

    public void onlyOn(Predicate<Offer> filter) {
        this.agentFilter = filter;
    }

    public void submit(List<TaskInfo> tasks) {
        pending.addAll(tasks);
        if (client != null && client.isSubscribed()) {
            client.revive();
        }
    }

    @Override
    public void offers(SchedulerDriver driver, List<Offer> offers) {
        for (Offer offer : offers) {
            List<TaskInfo> batch = new ArrayList<>();
            if (agentFilter.test(offer)) {
                Resources left = offer.resources();
                TaskInfo next;
                while ((next = pending.peek()) != null && left.contains(next.resources())) {
                    pending.poll();
                    left = left.minus(next.resources());
                    batch.add(next.withAgentId(offer.agentId()));
                }
            }
            if (batch.isEmpty()) {
                driver.decline(List.of(offer.id()), Filters.refuse(pending.isEmpty() ? 5 : 0.2));
            } else {
                List<TaskInfo> launched = batch;
                driver.launch(List.of(offer.id()), batch, Filters.refuse(0)).whenComplete((ok, e) -> {
                    if (e != null) {
                        launchErrors.add(e.toString());
                        pending.addAll(launched);
                    }
                });
            }
        }
    }

    @Override
    public void update(SchedulerDriver driver, TaskStatus status) {
        updates.add(status);
        latest.put(status.taskId(), status);
    }

    public List<TaskStatus> updates() {
        return updates;
    }

    public TaskState state(String taskId) {
        TaskStatus s = latest.get(taskId);
        return s == null ? null : s.state();
    }

    public TaskStatus latest(String taskId) {
        return latest.get(taskId);
    }

    public List<TaskState> statesOf(String taskId) {
        return updates.stream().filter(u -> u.taskId().equals(taskId)).map(TaskStatus::state).toList();
    }

    public long countIn(TaskState state) {
        return latest.values().stream().filter(s -> s.state() == state).count();
    }

    public List<String> launchErrors() {
        return launchErrors;
    }
}
