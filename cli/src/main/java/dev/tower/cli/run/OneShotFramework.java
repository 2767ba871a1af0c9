package dev.tower.cli.run;

import dev.tower.api.client.Scheduler;
import dev.tower.api.client.SchedulerDriver;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Filters;
import dev.tower.api.model.Offer;
import dev.tower.api.model.ContainerInfo;
import dev.tower.api.model.Range;
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
    private final ContainerInfo container;
    private final Map<String, String> published = new java.util.concurrent.ConcurrentHashMap<>();
    private final Consumer<TaskStatus> onRunning;
    private final List<String> pending = new ArrayList<>();
    private final Map<String, TaskStatus> terminal = new ConcurrentHashMap<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile String tooSmall;
    private volatile String error;

    OneShotFramework(String name, int instances, Resources perTask, CommandInfo command, ContainerInfo container,
                     Consumer<TaskStatus> onRunning) {
        this.name = name;
        this.instances = instances;
        this.perTask = perTask;
        this.command = command;
        this.container = container;
        this.onRunning = onRunning;
        for (int i = 0; i < instances; i++) {
            pending.add(taskId(i));
        }
    }

    /** Why the offer's agent cannot run the task whatever its resources (no Docker engine), or null. */
    private String unfit(Offer offer) {
        if (container == null) {
            return null;
        }
        String kinds = offer.attributes().getOrDefault("containerizers", "process");
        if (!List.of(kinds.split(",")).contains(container.type().json())) {
            return "agent " + offer.agentId() + " (" + offer.hostname() + ") cannot run " + container.type().json()
                    + " containers (containerizers: " + kinds + ")";
        }
        return null;
    }

    /** As many host ports of {@code left} as the container publishes (none for a process task); null if short. */
    private Resources ports(Resources left) {
        int needed = container == null ? 0 : container.portMappings().size();
        if (needed == 0) {
            return Resources.EMPTY;
        }
        List<Range> picked = new ArrayList<>();
        for (Range r : left.ranges(Resources.PORTS)) {
            for (long p = r.begin(); p <= r.end() && picked.size() < needed; p++) {
                picked.add(new Range(p, p));
            }
        }
        return picked.size() < needed ? null : Resources.ranges(Resources.PORTS, picked);
    }

    /** Where a launched container task's published ports are, for a person; null if it publishes none. */
    String published(String taskId) {
        return published.get(taskId);
    }

    String taskId(int i) {
        return instances == 1 ? name : name + "-" + i;
    }

    @Override
    public void offers(SchedulerDriver driver, List<Offer> offers) {
        for (Offer offer : offers) {
            Resources left = offer.resources();
            List<TaskInfo> launch = new ArrayList<>();
            String unfit = unfit(offer);
            Resources ports;
            while (unfit == null && !pending.isEmpty() && (ports = ports(left)) != null
                    && left.contains(perTask.plus(ports))) {
                String id = pending.remove(0);
                Resources wanted = perTask.plus(ports);
                launch.add(new TaskInfo(id, id, null, wanted, command, null, Map.of(), container));
                if (container != null && !container.portMappings().isEmpty()) {
                    List<Long> hostPorts = new ArrayList<>();
                    ports.ranges(Resources.PORTS).forEach(r -> hostPorts.add(r.begin()));
                    List<Integer> assigned = container.hostPorts(hostPorts);
                    List<String> shown = new ArrayList<>();
                    for (int i = 0; i < assigned.size(); i++) {
                        shown.add("container port " + container.portMappings().get(i).containerPort() + " is at "
                                + offer.hostname() + ":" + assigned.get(i));
                    }
                    published.put(id, String.join(", ", shown));
                }
                left = left.minus(wanted);
            }
            if (launch.isEmpty()) {
                if (!pending.isEmpty()) {
                    tooSmall = unfit != null ? unfit : "offer from agent " + offer.agentId() + " (" + offer.hostname()
                            + ") is too small: " + (ports(left) == null ? container.portMappings().size() + " ports"
                            : offer.resources().shortfall(perTask).orElse("")) + " needed";
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
