package dev.tower.manager.events;

import dev.tower.manager.core.ClusterEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Fans cluster events out to the sinks, and logs each one: one line per state change, with ids. */
public final class EventBus implements EventSink {
    private static final Logger log = LoggerFactory.getLogger("dev.tower.manager.events");
    private final List<EventSink> sinks = new CopyOnWriteArrayList<>();

    public void add(EventSink sink) {
        sinks.add(sink);
    }

    @Override
    public void publish(ClusterEvent event) {
        if (event.type().startsWith("offer.")) {
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

    @Override
    public void close() {
        sinks.forEach(EventSink::close);
    }
}
