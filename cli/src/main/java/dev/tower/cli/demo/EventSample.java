package dev.tower.cli.demo;

import dev.tower.api.events.ClusterEventView;
import dev.tower.api.model.TaskState;
import dev.tower.manager.core.ClusterEvent;
import dev.tower.manager.core.ClusterEvents;
import dev.tower.manager.events.EventSink;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the first event of each kind the demo wants to show (one of every step from a master's election to a task
 * running, and an audit record), and counts them all: a tour of the event stream without its flood of offers.
 */
public final class EventSample implements EventSink {
    /** The kinds shown, in the order they usually happen. */
    private static final List<String> KINDS = List.of(ClusterEvents.MASTER_ELECTED, ClusterEvents.AGENT_ADDED,
            ClusterEvents.AUDIT_FRAMEWORK_SUBSCRIBE, ClusterEvents.FRAMEWORK_SUBSCRIBED, ClusterEvents.OFFER_MADE,
            ClusterEvents.AUDIT_TASK_LAUNCH, ClusterEvents.TASK_LAUNCHED, ClusterEvents.TASK_STATUS + " RUNNING",
            ClusterEvents.OFFER_DECLINED);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final ClusterEvent[] first = new ClusterEvent[KINDS.size()];
    private final AtomicLong total = new AtomicLong();

    @Override
    public void publish(ClusterEvent event) {
        total.incrementAndGet();
        String kind = event.type();
        if (event.data() instanceof ClusterEvents.TaskStatusChanged s) {
            kind = kind + " " + (s.state() == TaskState.RUNNING ? "RUNNING" : "other");
        }
        int i = KINDS.indexOf(kind);
        if (i >= 0) {
            synchronized (first) {
                if (first[i] == null) {
                    first[i] = event;
                }
            }
        }
    }

    /** Every event published so far. */
    public long total() {
        return total.get();
    }

    /** The first event of each kind seen so far, in the order they were published. */
    public List<ClusterEventView> sample() {
        List<ClusterEvent> events = new ArrayList<>();
        synchronized (first) {
            for (ClusterEvent e : first) {
                if (e != null) {
                    events.add(e);
                }
            }
        }
        events.sort(Comparator.comparingLong(EventSample::sequence));
        return events.stream().map(e -> new ClusterEventView(e.id(), e.type(), e.subject(),
                TIME.format(Instant.ofEpochMilli(e.timeMillis())), e.summary(), e.data())).toList();
    }

    /** Ids are {@code <masterId>-<sequence>}, numbered in publishing order. */
    private static long sequence(ClusterEvent e) {
        try {
            return Long.parseLong(e.id().substring(e.id().lastIndexOf('-') + 1));
        } catch (RuntimeException notNumbered) {
            return Long.MAX_VALUE;
        }
    }
}
