package dev.tower.cli;

import dev.tower.api.client.MasterEventSource;
import dev.tower.api.codec.Json;
import dev.tower.api.detect.MasterDetector;
import dev.tower.api.detect.MasterUrls;
import dev.tower.api.events.ClusterEventView;
import dev.tower.api.events.EventFilter;
import dev.tower.api.events.EventSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/** {@code tower events}: the cluster's events (state changes and audit records). */
@Command(name = "events", mixinStandardHelpOptions = true,
        description = "The cluster's events: every state change and every audited API call.",
        subcommands = {EventsCommand.Tail.class})
public final class EventsCommand implements Runnable {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: tail");
    }

    /** {@code tower events tail}: follows the leading master's events stream, across failovers, until Ctrl-C. */
    @Command(name = "tail", mixinStandardHelpOptions = true,
            description = {"Print cluster events as they happen, one line each (time, type, subject, summary), "
                    + "following the leading master across failovers; Ctrl-C ends it.",
                    "Types: agent.*, framework.*, offer.*, task.*, weights.updated, master.*, and audit.* records of "
                            + "API calls (see docs/events.md)."})
    static final class Tail implements Callable<Integer> {
        static final String KAFKA_NOT_YET = "reading events from Kafka (--kafka, --from-beginning) needs the "
                + "kafka-events module, which this build does not include yet; without these flags "
                + "`tower events tail` follows the leading master's live stream (GET /api/v1/events), "
                + "from now on";

        @Mixin
        MasterOption master;

        @Option(names = {"-t", "--type"}, paramLabel = "TYPE",
                description = "Only events whose type starts with TYPE, e.g. task.status, task, audit; "
                        + "repeat it or separate with commas for several.")
        List<String> types;

        @Option(names = {"-s", "--subject"}, paramLabel = "ID",
                description = "Only events about this id (a framework id also matches its tasks' events).")
        String subject;

        @Option(names = "--json", description = "Print each event as its JSON, one per line.")
        boolean json;

        @Option(names = {"-n", "--max-events"}, paramLabel = "N", description = "Stop after N events.")
        Long maxEvents;

        @Option(names = "--from-beginning",
                description = "Start from the oldest event Kafka keeps (needs --kafka; not available yet).")
        boolean fromBeginning;

        @Option(names = "--kafka", paramLabel = "BOOTSTRAP",
                description = "Read topics tower.events and tower.audit from these Kafka brokers (host:port[,...]) "
                        + "instead of the master (not available yet).")
        String kafka;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws InterruptedException {
            EventFilter filter;
            try {
                filter = EventFilter.of(types, subject);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--" + e.getMessage());
            }
            if (maxEvents != null && maxEvents < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--max-events: must be at least 1");
            }
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try (MasterDetector detector = kafka == null && !fromBeginning ? MasterUrls.detector(master.url()) : null;
                 EventSource source = source(detector)) {
                AtomicLong printed = new AtomicLong();
                Thread stopper = new Thread(source::close, "tower-events-tail-stop");
                Runtime.getRuntime().addShutdownHook(stopper); // Ctrl-C: stop quietly
                try {
                    source.follow(filter, new EventSource.Listener() {
                        @Override
                        public void event(ClusterEventView event) {
                            out.println(json ? Json.write(event) : line(event));
                            out.flush();
                            if (maxEvents != null && printed.incrementAndGet() >= maxEvents) {
                                source.close();
                            }
                        }

                        @Override
                        public void notice(String message) {
                            err.println("tower events: " + message);
                            err.flush();
                        }
                    });
                } finally {
                    try {
                        Runtime.getRuntime().removeShutdownHook(stopper);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook runs
                    }
                }
            }
            return 0;
        }

        /**
         * Where the events come from. Only the master's live stream for now; a Kafka source (kafka-events) slots in
         * here, chosen by {@code --kafka}, and honours {@code --from-beginning}.
         */
        private EventSource source(MasterDetector detector) {
            if (kafka != null || fromBeginning) {
                throw new IllegalStateException(KAFKA_NOT_YET);
            }
            return new MasterEventSource(detector);
        }

        /** {@code time  type  subject  summary}, columns aligned for the usual widths. */
        static String line(ClusterEventView e) {
            return String.format("%-24s  %-26s  %-24s  %s", e.time(), e.type(), e.subject(), e.summary());
        }
    }
}
