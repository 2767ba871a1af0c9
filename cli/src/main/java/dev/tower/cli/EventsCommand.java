package dev.tower.cli;

import dev.tower.api.client.CallRejectedException;
import dev.tower.api.client.MasterEventSource;
import dev.tower.api.client.MasterHttp;
import dev.tower.api.security.ClientSecurity;
import dev.tower.api.client.MasterUnavailableException;
import dev.tower.api.codec.BadInputException;
import dev.tower.api.codec.Json;
import dev.tower.api.detect.MasterDetector;
import dev.tower.api.detect.MasterUrls;
import dev.tower.api.events.ClusterEventView;
import dev.tower.api.events.EventFilter;
import dev.tower.api.events.EventSinkView;
import dev.tower.api.events.EventSource;
import dev.tower.kafka.KafkaEventSource;
import dev.tower.kafka.KafkaEventsConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

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

    /**
     * {@code tower events tail}: reads the Kafka topics the master publishes to when it does (or those of
     * {@code --kafka}), else follows the leading master's events stream across failovers; until Ctrl-C or N events.
     */
    @Command(name = "tail", mixinStandardHelpOptions = true,
            description = {"Print cluster events as they happen, one line each (time, type, subject, summary); "
                    + "Ctrl-C ends it.",
                    "Where from: when the master publishes its events to Kafka (it says so on /health), from Kafka's "
                            + "topics; otherwise from the leading master's live stream, followed across failovers. "
                            + "--kafka names the Kafka cluster, --from-master forces the live stream; when the "
                            + "master's Kafka cannot be reached within 10 s, the live stream is followed instead "
                            + "(unless --from-beginning).",
                    "Types: agent.*, framework.*, offer.*, task.*, weights.updated, master.*, and audit.* records of "
                            + "API calls (see docs/events.md)."})
    static final class Tail implements Callable<Integer> {
        /** How long the Kafka a master advertises may stay unreachable before the master's stream is used. */
        static final Duration ADVERTISED_KAFKA_WAIT = Duration.ofSeconds(10);
        static final String HEALTH = "/health";

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
                description = "Start from the oldest event Kafka keeps (needs a master that publishes to Kafka, "
                        + "or --kafka); otherwise from now on.")
        boolean fromBeginning;

        @Option(names = "--kafka", paramLabel = "BOOTSTRAP",
                description = "Read the events from these Kafka brokers (host:port[,host:port]) without asking the "
                        + "master where it publishes them.")
        String kafka;

        @Option(names = "--events-topic", paramLabel = "TOPIC",
                description = "With --kafka: the topic of cluster events (default: "
                        + KafkaEventsConfig.DEFAULT_EVENTS_TOPIC + ").")
        String eventsTopic;

        @Option(names = "--audit-topic", paramLabel = "TOPIC",
                description = "With --kafka: the topic of audit records (default: "
                        + KafkaEventsConfig.DEFAULT_AUDIT_TOPIC + ").")
        String auditTopic;

        @Option(names = "--from-master",
                description = "Follow the leading master's live stream (from now on) even when it publishes to "
                        + "Kafka.")
        boolean fromMaster;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws InterruptedException {
            EventFilter filter;
            try {
                filter = EventFilter.of(types, subject);
            } catch (IllegalArgumentException e) {
                throw usage("--" + e.getMessage());
            }
            if (maxEvents != null && maxEvents < 1) {
                throw usage("--max-events: must be at least 1");
            }
            if (fromMaster && kafka != null) {
                throw usage("--from-master and --kafka exclude each other");
            }
            if (fromMaster && fromBeginning) {
                throw usage("--from-beginning: the master's live stream (--from-master) starts from now; Kafka "
                        + "keeps the history");
            }
            if (kafka == null && (eventsTopic != null || auditTopic != null)) {
                throw usage("--events-topic and --audit-topic go with --kafka (without it, the topics the master "
                        + "publishes to are read)");
            }
            quietKafkaClients();
            Printer printer = new Printer(spec.commandLine().getOut(), spec.commandLine().getErr(), json, maxEvents);
            try (MasterDetector detector = kafka == null ? MasterUrls.detector(master.url()) : null;
                 EventSource source = source(detector, printer)) {
                printer.source = source;
                Thread stopper = new Thread(source::close, "tower-events-tail-stop");
                Runtime.getRuntime().addShutdownHook(stopper); // Ctrl-C: stop quietly
                try {
                    source.follow(filter, printer);
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

        private CommandLine.ParameterException usage(String message) {
            return new CommandLine.ParameterException(spec.commandLine(), message);
        }

        /**
         * Where the events come from: {@code --kafka}; the master's live stream with {@code --from-master}; else the
         * Kafka the leading master advertises on {@code /health} (falling back to its live stream when that Kafka
         * cannot be reached, unless {@code --from-beginning}), or its live stream when it advertises none.
         */
        private EventSource source(MasterDetector detector, EventSource.Listener listener) {
            if (kafka != null) {
                return new KafkaEventSource(kafka, List.of(
                        eventsTopic != null ? eventsTopic : KafkaEventsConfig.DEFAULT_EVENTS_TOPIC,
                        auditTopic != null ? auditTopic : KafkaEventsConfig.DEFAULT_AUDIT_TOPIC), fromBeginning);
            }
            if (fromMaster) {
                return new MasterEventSource(detector, master.security());
            }
            Optional<EventSinkView> advertised;
            try {
                advertised = advertisedKafka(detector, master.security());
            } catch (MasterUnavailableException | CallRejectedException | BadInputException e) {
                if (fromBeginning) {
                    throw new IllegalStateException("--from-beginning reads Kafka, and the master could not be asked "
                            + "which Kafka it publishes to (" + e.getMessage() + "); name it with --kafka BOOTSTRAP");
                }
                listener.notice("cannot ask the master where it publishes events (" + e.getMessage()
                        + "); following its live stream");
                return new MasterEventSource(detector, master.security());
            }
            if (advertised.isEmpty()) {
                if (fromBeginning) {
                    throw usage("--from-beginning: the master publishes no events to Kafka, and its live stream "
                            + "starts from now; start the master with --kafka BOOTSTRAP to keep the history (or name "
                            + "a Kafka cluster with --kafka)");
                }
                return new MasterEventSource(detector, master.security());
            }
            EventSinkView sink = advertised.get();
            List<String> topics = sink.topics().isEmpty()
                    ? List.of(KafkaEventsConfig.DEFAULT_EVENTS_TOPIC, KafkaEventsConfig.DEFAULT_AUDIT_TOPIC)
                    : sink.topics();
            listener.notice("the master publishes its events to Kafka at " + sink.target() + "; reading them there "
                    + "(--from-master for its live stream)");
            if (fromBeginning) {
                return new KafkaEventSource(sink.target(), topics, true);
            }
            return new FallBack(new KafkaEventSource(sink.target(), topics, false, ADVERTISED_KAFKA_WAIT),
                    () -> new MasterEventSource(detector, master.security()));
        }

        /** What {@code /health} says that matters here. */
        record Health(String role, String leader, List<EventSinkView> eventSinks) {
        }

        /**
         * The Kafka sink of the leading master, from its {@code /health} (a standby answers it too, naming the
         * leader, which is then asked).
         */
        static Optional<EventSinkView> advertisedKafka(MasterDetector detector, ClientSecurity security) {
            Health health = Json.read(new MasterHttp(detector, security).get(HEALTH), Health.class);
            if (!"leader".equals(health.role()) && health.leader() != null) {
                try (MasterDetector leader = MasterUrls.detector(health.leader())) {
                    health = Json.read(new MasterHttp(leader, security).get(HEALTH), Health.class);
                } catch (MasterUnavailableException | CallRejectedException | BadInputException e) {
                    // the standby's sinks, configured like the leader's as a rule
                }
            }
            return health.eventSinks() == null ? Optional.empty() : health.eventSinks().stream()
                    .filter(s -> EventSinkView.KAFKA.equals(s.kind()) && s.target() != null && !s.target().isBlank())
                    .findFirst();
        }

        /**
         * Kafka's client logs every failed connection attempt, several a second while Kafka is down, on the
         * terminal the events go to: the source says once that Kafka cannot be reached instead.
         */
        private static void quietKafkaClients() {
            for (String logger : List.of("org.apache.kafka.clients.NetworkClient",
                    "org.apache.kafka.clients.ClientUtils")) {
                String key = "org.slf4j.simpleLogger.log." + logger;
                if (System.getProperty(key) == null) {
                    System.setProperty(key, "error");
                }
            }
        }

        /** {@code time  type  subject  summary}, columns aligned for the usual widths. */
        static String line(ClusterEventView e) {
            return String.format("%-24s  %-26s  %-24s  %s", e.time(), e.type(), e.subject(), e.summary());
        }
    }

    /** Prints events on stdout and notices on stderr; closes the source after N events. */
    static final class Printer implements EventSource.Listener {
        private final PrintWriter out;
        private final PrintWriter err;
        private final boolean json;
        private final Long maxEvents;
        private final AtomicLong printed = new AtomicLong();
        volatile EventSource source;

        Printer(PrintWriter out, PrintWriter err, boolean json, Long maxEvents) {
            this.out = out;
            this.err = err;
            this.json = json;
            this.maxEvents = maxEvents;
        }

        @Override
        public void event(ClusterEventView event) {
            out.println(json ? Json.write(event) : Tail.line(event));
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
    }

    /**
     * The master's Kafka, or its live stream if that Kafka is never reached: {@code first} gives up with
     * {@link KafkaEventSource.UnreachableException}, and {@code then} is followed instead.
     */
    static final class FallBack implements EventSource {
        private final EventSource first;
        private final Supplier<EventSource> then;
        private volatile EventSource current;
        private volatile boolean closed;

        FallBack(EventSource first, Supplier<EventSource> then) {
            this.first = first;
            this.then = then;
            this.current = first;
        }

        @Override
        public void follow(EventFilter filter, Listener listener) throws InterruptedException {
            try {
                first.follow(filter, listener);
                return;
            } catch (KafkaEventSource.UnreachableException e) {
                if (closed) {
                    return;
                }
                listener.notice(e.getMessage() + "; following the master's live stream instead");
            } finally {
                first.close();
            }
            EventSource next = then.get();
            current = next;
            if (closed) {
                next.close();
                return;
            }
            try {
                next.follow(filter, listener);
            } finally {
                next.close();
            }
        }

        @Override
        public void close() {
            closed = true;
            current.close();
        }
    }
}
