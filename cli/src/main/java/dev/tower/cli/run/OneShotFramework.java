package dev.tower.cli.run;

import dev.tower.api.client.Scheduler;
import dev.tower.api.client.SchedulerDriver;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Filters;
import dev.tower.api.model.Offer;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * The framework behind {@code tower run}: launches K copies of one command as offers allow, then suppresses offers
 * and waits for every copy to end. Callbacks run on the client's single event thread.
 */
final class OneShotFramework implements Scheduler {
    private final String name;
    private final int instances;
    private final Resources perTask;
    private final CommandInfo command;
    private final Consumer<TaskStatus> onRunning;
    private final List<String> pending = new ArrayList<>();
    private final Map<String, TaskStatus> terminal = new ConcurrentHashMap<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile String tooSmall;
    private volatile String error;

    OneShotFramework(String name, int instances, Resources perTask, CommandInfo command,
                     Consumer<TaskStatus> onRunning) {
        this.name = name;
        this.instances = instances;
        this.perTask = perTask;
        this.command = command;
        this.onRunning = onRunning;
        for (int i = 0; i < instances; i++) {
            pending.add(taskId(i));
        }
    }

    String taskId(int i) {
        return instances == 1 ? name : name + "-" + i;
    }

    @Override
    public void offers(SchedulerDriver driver, List<Offer> offers) {
        for (Offer offer : offers) {
            Resources left = offer.resources();
            List<TaskInfo> launch = new ArrayList<>();
            while (!pending.isEmpty() && left.contains(perTask)) {
                String id = pending.remove(0);
                launch.add(new TaskInfo(id, id, null, perTask, command, null, Map.of()));
                left = left.minus(perTask);
            }
            if (launch.isEmpty()) {
                if (!pending.isEmpty()) {
                    tooSmall = "offer from agent " + offer.agentId() + " (" + offer.hostname() + ") is too small: "
                            + offer.resources().shortfall(perTask).orElse("") + " needed";
                }
                driver.decline(List.of(offer.id()), Filters.refuse(pending.isEmpty() ? 3600 : 1));
                continue;
            }
            tooSmall = null;
            driver.launch(List.of(offer.id()), launch, Filters.refuse(pending.isEmpty() ? 3600 : 0))
                    .exceptionally(e -> {
                        error = "launch refused: " + e.getMessage();
                        done.countDown();
                        return null;
                    });
        }
        if (pending.isEmpty()) {
            driver.suppress();
        }
    }

    @Override
    public void update(SchedulerDriver driver, TaskStatus status) {
        if (status.uuid() == null && status.state() == TaskState.UNKNOWN) {
            return;
        }
        if (status.state() == TaskState.RUNNING) {
            onRunning.accept(status);
        }
        if (status.state() == TaskState.UNREACHABLE) {
            System.err.println("tower: task " + status.taskId() + " is unreachable: " + status.reason());
        }
        if (status.state().isTerminal() && terminal.putIfAbsent(status.taskId(), status) == null
                && terminal.size() == instances) {
            done.countDown();
        }
    }

    @Override
    public void error(SchedulerDriver driver, String message) {
        error = message;
        done.countDown();
    }

    CountDownLatch done() {
        return done;
    }

    String error() {
        return error;
    }

    String tooSmall() {
        return tooSmall;
    }

    boolean allLaunched() {
        return pending.isEmpty();
    }

    /** The terminal statuses in instance order. */
    List<TaskStatus> results() {
        Map<String, TaskStatus> ordered = new LinkedHashMap<>();
        for (int i = 0; i < instances; i++) {
            ordered.put(taskId(i), terminal.get(taskId(i)));
        }
        return Collections.unmodifiableList(new ArrayList<>(ordered.values()));
    }
}
