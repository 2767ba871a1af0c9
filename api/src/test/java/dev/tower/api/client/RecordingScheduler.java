package dev.tower.api.client;

import dev.tower.api.model.Offer;
import dev.tower.api.model.TaskStatus;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * A scheduler that writes down each callback as one line (at entry, so a blocked callback is already visible), and
 * how many callbacks ever ran at once and on which threads.
 */
final class RecordingScheduler implements Scheduler {
    final List<String> events = new CopyOnWriteArrayList<>();
    final Set<String> threads = ConcurrentHashMap.newKeySet();
    final AtomicInteger maxConcurrent = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();

    volatile Consumer<List<Offer>> onOffers = offers -> { };
    volatile Consumer<TaskStatus> onUpdate = status -> { };

    @Override
    public void subscribed(SchedulerDriver driver, String frameworkId, boolean reconnected) {
        record("subscribed " + frameworkId + (reconnected ? " reconnected" : ""), () -> { });
    }

    @Override
    public void offers(SchedulerDriver driver, List<Offer> offers) {
        record("offers " + offers.stream().map(Offer::id).collect(Collectors.joining(",")),
                () -> onOffers.accept(offers));
    }

    @Override
    public void rescinded(SchedulerDriver driver, String offerId) {
        record("rescinded " + offerId, () -> { });
    }

    @Override
    public void update(SchedulerDriver driver, TaskStatus status) {
        record("update " + status.taskId() + " " + status.state(), () -> onUpdate.accept(status));
    }

    @Override
    public void agentLost(SchedulerDriver driver, String agentId) {
        record("agentLost " + agentId, () -> { });
    }

    @Override
    public void error(SchedulerDriver driver, String message) {
        record("error " + message, () -> { });
    }

    @Override
    public void disconnected(SchedulerDriver driver) {
        record("disconnected", () -> { });
    }

    private void record(String event, Runnable body) {
        threads.add(Thread.currentThread().getName());
        maxConcurrent.accumulateAndGet(running.incrementAndGet(), Math::max);
        events.add(event);
        try {
            body.run();
        } finally {
            running.decrementAndGet();
        }
    }
}
