package dev.tower.manager.events;

import dev.tower.api.events.EventSinkView;
import dev.tower.manager.core.ClusterEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fans cluster events out to the sinks, in order, and logs each one: one line per state change, with ids (offers and
 * audit records at DEBUG). Stamps each
 * event with its id: the master's id (new for every master process) and a sequence number.
 */
public final class EventBus implements EventSink {
    private static final Logger log = LoggerFactory.getLogger("dev.tower.manager.events");
    private final List<EventSink> sinks = new CopyOnWriteArrayList<>();
    private final String idPrefix;
    private final AtomicLong sequence = new AtomicLong();

    public EventBus(String masterId) {
        this.idPrefix = masterId + "-";
    }

    public void add(EventSink sink) {
        sinks.add(sink);
    }

    /** Called from the core's effect thread and, for master and audit events, from others: ids stay unique. */
    @Override
    public synchronized void publish(ClusterEvent event) {
        if (event.id() == null) {
            event = event.withId(idPrefix + sequence.incrementAndGet());
        }
        // Offers come and go many times a second; an audit record repeats a call whose effect is logged already.
        if (event.type().startsWith("offer.") || event.isAudit()) {
            log.debug("{}", event.summary());
        } else {
            log.info("{}", event.summary());
        }
        for (EventSink s : sinks) {
            try {
                s.publish(event);
            } catch (RuntimeException e) {
                log.warn("event sink {} failed: {}", s.getClass().getSimpleName(), e.toString());
            }
        }
    }

    /** The views of the sinks that have one (external ones, such as Kafka), in the order they were added. */
    public List<EventSinkView> sinkViews() {
        List<EventSinkView> views = new ArrayList<>();
        for (EventSink s : sinks) {
            try {
                s.view().ifPresent(views::add);
            } catch (RuntimeException e) {
                log.warn("event sink {} cannot describe itself: {}", s.getClass().getSimpleName(), e.toString());
            }
        }
        return views;
    }

    @Override
    public void close() {
        sinks.forEach(EventSink::close);
    }
}
