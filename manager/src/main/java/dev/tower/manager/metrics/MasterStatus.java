package dev.tower.manager.metrics;

import dev.tower.api.events.EventSinkView;
import dev.tower.manager.core.Census;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** What a master tells its metrics about itself at scrape time. */
public interface MasterStatus {

    /** The term this master serves now; empty on a standby. */
    Optional<LeadingTerm> term();

    /** Open {@code GET /api/v1/events} streams. */
    int eventStreams();

    /** The event bus's external sinks (Kafka's outbox), as {@code /health} shows them. */
    List<EventSinkView> eventSinks();

    /** One stretch of leadership. */
    interface LeadingTerm {
        long epoch();

        /** Open scheduler streams ({@code SUBSCRIBE} on {@code /api/v1/scheduler}). */
        int frameworkStreams();

        /** Open agent streams. */
        int agentStreams();

        /** Commands waiting for the core thread. */
        int queuedCommands();

        /** The core's counts, read on the core thread (a {@code Command.Query}). */
        CompletableFuture<Census> census();
    }
}
