package dev.tower.manager.events;

import dev.tower.api.events.ClusterEventView;
import dev.tower.api.events.EventFilter;
import dev.tower.manager.core.ClusterEvent;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The last events this master published, so that a page opened now (the web UI's events page) starts with what just
 * happened rather than an empty list; the full history is in Kafka.
 */
public final class RecentEvents implements EventSink {
    /** RFC 3339, always with milliseconds (Instant.toString leaves out a zero fraction). */
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final int capacity;
    private final ArrayDeque<ClusterEvent> events;

    public RecentEvents(int capacity) {
        this.capacity = capacity;
        this.events = new ArrayDeque<>(capacity);
    }

    @Override
    public synchronized void publish(ClusterEvent event) {
        if (events.size() == capacity) {
            events.removeFirst();
        }
        events.addLast(event);
    }

    /** Up to {@code limit} of the newest events {@code filter} keeps, oldest first. */
    public List<ClusterEventView> newest(EventFilter filter, int limit) {
        List<ClusterEvent> picked = new ArrayList<>();
        synchronized (this) {
            for (Iterator<ClusterEvent> it = events.descendingIterator(); it.hasNext() && picked.size() < limit; ) {
                ClusterEvent e = it.next();
                if (filter.matches(e.type(), e.subject())) {
                    picked.add(e);
                }
            }
        }
        List<ClusterEventView> out = new ArrayList<>(picked.size());
        for (int i = picked.size() - 1; i >= 0; i--) {
            out.add(view(picked.get(i)));
        }
        return out;
    }

    /** How an event looks to API clients: on the events stream, and here. */
    public static ClusterEventView view(ClusterEvent e) {
        return new ClusterEventView(e.id(), e.type(), e.subject(), TIME.format(Instant.ofEpochMilli(e.timeMillis())),
                e.summary(), e.data());
    }
}
