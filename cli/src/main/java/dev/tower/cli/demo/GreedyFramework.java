package dev.tower.cli.demo;

import dev.tower.api.client.Scheduler;
import dev.tower.api.client.SchedulerDriver;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Filters;
import dev.tower.api.model.Offer;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskStatus;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A framework that always wants more: one fixed-size task per offer, the rest handed straight back so the allocator
 * can give it to whichever role is furthest below its share. Two of them in differently weighted roles show weighted
 * DRF at work.
 */
public final class GreedyFramework implements Scheduler {
    private final String prefix;
    private final Resources taskSize;
    private final String command;
    private final AtomicInteger launched = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();
    private volatile boolean paused;

    public GreedyFramework(String prefix, Resources taskSize, String command) {
        this.prefix = prefix;
        this.taskSize = taskSize;
        this.command = command;
    }

    @Override
    public void offers(SchedulerDriver driver, List<Offer> offers) {
        if (paused) {
            driver.decline(offers.stream().map(Offer::id).toList(), Filters.refuse(30));
            return;
        }
        for (Offer offer : offers) {
            if (!offer.resources().contains(taskSize)) {
                driver.decline(List.of(offer.id()), Filters.refuse(2));
                continue;
            }
            String id = prefix + "-" + launched.incrementAndGet();
            TaskInfo task = new TaskInfo(id, id, null, taskSize, CommandInfo.shell(command), 1.0, Map.of());
            boolean moreFits = offer.resources().minus(taskSize).contains(taskSize);
            // Hand back the rest at once when another task would fit, so the allocator re-decides who gets it.
            driver.launch(List.of(offer.id()), List.of(task), Filters.refuse(moreFits ? 0 : 2));
        }
    }

    @Override
    public void update(SchedulerDriver driver, TaskStatus status) {
        if (status.state().isTerminal()) {
            finished.incrementAndGet();
        }
    }

    /** Stops launching: offers still arriving are declined, running tasks run out. Pair with SUPPRESS. */
    public void pause() {
        paused = true;
    }

    /** Launches again on the next offers. Pair with REVIVE. */
    public void resume() {
        paused = false;
    }

    /** Tasks launched and not yet finished. */
    public int running() {
        return launched.get() - finished.get();
    }

    public int launched() {
        return launched.get();
    }

    public int finished() {
        return finished.get();
    }
}
