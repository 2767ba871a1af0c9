package dev.tower.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.codec.Json;
import dev.tower.api.events.ClusterEventView;
import dev.tower.api.events.EventFilter;
import dev.tower.api.events.EventSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Cluster events read back from the Kafka topics a master's {@link KafkaEventSink} publishes to, for
 * {@code tower events tail}:
 * <pre>{@code
 * try (var source = new KafkaEventSource("kafka1:9092", List.of("tower.events", "tower.audit"), true)) {
 *     source.follow(EventFilter.of(List.of("task"), null), event -> System.out.println(event.summary()));
 * }
 * }</pre>
 * It reads every partition of the topics with a consumer of its own (no consumer group, nothing committed), from the
 * oldest record Kafka keeps or from the end, decodes each CloudEvent back into a {@link ClusterEventView}, applies the
 * filter, and skips copies of events it delivered recently (delivery to Kafka is at least once: the id of each of the
 * last {@value #RECENT_IDS} events delivered is kept). Records that are not Tower CloudEvents are skipped, with one
 * notice. Topics that do not exist yet are waited for (the master creates them when it first reaches Kafka), and
 * partitions that appear later are read from their start. While Kafka cannot be reached it retries, pausing up to
 * {@link #MAX_PAUSE} between attempts, and says so once per outage.
 *
 * <p>Order: one subject's events in publishing order, as the sink keys records by subject; no order between subjects
 * or between the two topics.
 */
public final class KafkaEventSource implements EventSource {
    /** How many of the most recent event ids are kept to skip copies. */
    public static final int RECENT_IDS = 100_000;
    static final Duration MAX_PAUSE = Duration.ofSeconds(5);
    private static final Duration FIRST_PAUSE = Duration.ofMillis(200);
    /** Bounds one metadata request; Kafka not answering for this long counts as unreachable. */
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration POLL = Duration.ofMillis(500);
    /** How often to look for partitions added to the topics (and notice an outage, during which polls are empty). */
    private static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** How often to look again while a topic does not exist yet. */
    private static final long MISSING_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String bootstrapServers;
    private final List<String> topics;
    private final boolean fromBeginning;
    private final Duration unreachableLimit;
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile boolean closed;
    private volatile KafkaConsumer<byte[], byte[]> consumer;

    /** Kafka was never reached within the limit given to the constructor; nothing was read. */
    public static final class UnreachableException extends IllegalStateException {
        UnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * @param bootstrapServers Kafka's {@code host:port[,host:port]}
     * @param topics the topics to read, e.g. {@code tower.events} and {@code tower.audit}
     * @param fromBeginning from the oldest record Kafka keeps; otherwise only records written after {@link #follow}
     *                      first reached Kafka
     */
    public KafkaEventSource(String bootstrapServers, List<String> topics, boolean fromBeginning) {
        this(bootstrapServers, topics, fromBeginning, null);
    }

    /**
     * @param unreachableLimit when not null: if Kafka has not answered once this long after {@link #follow} began,
     *                         follow throws {@link UnreachableException} instead of retrying on (once it has answered,
     *                         later outages are always retried)
     */
    public KafkaEventSource(String bootstrapServers, List<String> topics, boolean fromBeginning,
                            Duration unreachableLimit) {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("Kafka bootstrap servers are required (host:port[,host:port])");
        }
        if (topics == null || topics.isEmpty() || topics.stream().anyMatch(t -> t == null || t.isBlank())) {
            throw new IllegalArgumentException("Kafka topic names are required");
        }
        for (String server : bootstrapServers.split(",")) {
            String hostPort = server.trim();
            int colon = hostPort.lastIndexOf(':');
            int port = -1;
            try {
                port = colon > 0 ? Integer.parseInt(hostPort.substring(colon + 1)) : -1;
            } catch (NumberFormatException e) {
                // reported below
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("Kafka bootstrap server '" + hostPort
                        + "' is not host:port (bootstrap servers: host:port[,host:port])");
            }
        }
        this.bootstrapServers = bootstrapServers.trim();
        this.topics = List.copyOf(new LinkedHashSet<>(topics));
        this.fromBeginning = fromBeginning;
        this.unreachableLimit = unreachableLimit;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public List<String> topics() {
        return topics;
    }

    @Override
    public void follow(EventFilter filter, Listener listener) throws InterruptedException {
        try {
            run(filter, listener);
        } catch (InterruptException e) { // Kafka's unchecked form; it keeps the thread's interrupt flag set
            Thread.interrupted();
            if (!closed) {
                throw new InterruptedException("interrupted while reading Kafka");
            }
        } catch (InterruptedException e) {
            if (!closed) {
                throw e;
            }
        }
    }

    /** The state of one {@link #follow}. */
    private final class Reader {
        final Listener listener;
        final EventFilter filter;
        final Set<TopicPartition> assigned = new LinkedHashSet<>();
        final Map<String, Boolean> recent = new LinkedHashMap<>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > RECENT_IDS;
            }
        };
        final long startNanos = System.nanoTime();
        /** Kafka answered at least once (metadata), so the starting positions are known. */
        boolean reached;
        /** The notice of the current outage was given. */
        boolean down;
        List<String> missingTold = List.of();
        long nextRefresh;
        long foreign;
        Duration pause = FIRST_PAUSE;

        Reader(EventFilter filter, Listener listener) {
            this.filter = filter;
            this.listener = listener;
        }
    }

    private void run(EventFilter filter, Listener listener) throws InterruptedException {
        Reader r = new Reader(filter, listener);
        try {
            while (!closed) {
                KafkaConsumer<byte[], byte[]> c = consumer;
                try {
                    if (c == null) {
                        c = open();
                        if (c == null) {
                            return; // closed meanwhile
                        }
                    }
                    if (System.nanoTime() - r.nextRefresh >= 0) {
                        refresh(c, r);
                    }
                    if (r.assigned.isEmpty()) {
                        pause(r.nextRefresh - System.nanoTime());
                        continue;
                    }
                    for (ConsumerRecord<byte[], byte[]> record : c.poll(POLL)) {
                        if (closed) {
                            break;
                        }
                        deliver(record, r);
                    }
                } catch (WakeupException e) {
                    // close(): the loop ends
                } catch (InterruptException e) {
                    throw e;
                } catch (AuthenticationException | AuthorizationException e) {
                    throw new IllegalStateException("Kafka at " + bootstrapServers + " refused to serve "
                            + String.join(", ", topics) + ": " + e.getMessage(), e);
                } catch (KafkaException e) {
                    unreachable(r, e);
                }
            }
        } finally {
            KafkaConsumer<byte[], byte[]> c = consumer;
            consumer = null;
            if (c != null) {
                c.close();
            }
        }
    }

    /** A consumer of its own: no group, nothing committed, positions chosen here. Null when closed meanwhile. */
    private KafkaConsumer<byte[], byte[]> open() {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "tower-events-tail");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // Reading must never create a topic (a broker with auto.create.topics.enable would, with its defaults).
        p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        // Starting positions are set explicitly; this applies when retention deleted records not yet read.
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) METADATA_TIMEOUT.toMillis());
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) METADATA_TIMEOUT.toMillis());
        p.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
        KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p);
        consumer = c;
        if (closed) {
            consumer = null;
            c.close();
            return null;
        }
        return c;
    }

    /**
     * Asks Kafka for the topics' partitions; assigns the new ones, positioned (at the beginning or the end for those
     * there from the first answer, at the beginning for later ones: all their records are new).
     */
    private void refresh(KafkaConsumer<byte[], byte[]> c, Reader r) {
        Map<String, List<PartitionInfo>> all = c.listTopics(metadataTimeout(r));
        List<TopicPartition> added = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String topic : topics) {
            List<PartitionInfo> infos = all.get(topic);
            if (infos == null || infos.isEmpty()) {
                missing.add(topic);
                continue;
            }
            for (PartitionInfo i : infos) {
                TopicPartition tp = new TopicPartition(topic, i.partition());
                if (!r.assigned.contains(tp)) {
                    added.add(tp);
                }
            }
        }
        if (!added.isEmpty()) {
            Set<TopicPartition> now = new LinkedHashSet<>(r.assigned);
            now.addAll(added);
            c.assign(now);
            if (fromBeginning || r.reached) {
                c.seekToBeginning(added);
            } else {
                c.seekToEnd(added);
            }
            for (TopicPartition tp : added) {
                c.position(tp, metadataTimeout(r)); // fixes "from now on" to now, not to the first poll
            }
            r.assigned.addAll(added);
        }
        if (!r.reached) {
            r.reached = true;
            r.listener.notice("reading " + String.join(", ", topics) + " from Kafka at " + bootstrapServers
                    + (fromBeginning ? " (from the beginning)" : " (from now on)"));
        } else if (r.down) {
            r.listener.notice("reached Kafka at " + bootstrapServers + " again; reading on where it stopped");
        }
        r.down = false;
        r.pause = FIRST_PAUSE;
        if (!missing.isEmpty() && !missing.equals(r.missingTold)) {
            r.listener.notice((missing.size() == 1 ? "topic " + missing.get(0) + " does not exist"
                    : "topics " + String.join(", ", missing) + " do not exist") + " yet at " + bootstrapServers
                    + "; waiting for it (a master creates its topics when it first reaches Kafka)");
        }
        r.missingTold = missing;
        r.nextRefresh = System.nanoTime() + (missing.isEmpty() ? REFRESH_NANOS : MISSING_REFRESH_NANOS);
    }

    /** At most {@link #METADATA_TIMEOUT}, and no longer than what is left of the limit before Kafka was reached. */
    private Duration metadataTimeout(Reader r) {
        if (r.reached || unreachableLimit == null) {
            return METADATA_TIMEOUT;
        }
        long left = unreachableLimit.toNanos() - (System.nanoTime() - r.startNanos);
        return Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(100), Math.min(left,
                METADATA_TIMEOUT.toNanos())));
    }

    private void unreachable(Reader r, Exception e) throws InterruptedException {
        if (closed) {
            return;
        }
        String why = describe(e);
        if (!r.reached && unreachableLimit != null
                && System.nanoTime() - r.startNanos >= unreachableLimit.toNanos()) {
            throw new UnreachableException("cannot reach Kafka at " + bootstrapServers + " within "
                    + unreachableLimit.toSeconds() + " s (" + why + ")", e);
        }
        if (!r.down) {
            r.down = true;
            r.listener.notice("cannot reach Kafka at " + bootstrapServers + " (" + why + "); retrying");
        }
        Duration d = r.pause;
        r.pause = d.multipliedBy(2).compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : d.multipliedBy(2);
        long nanos = d.toNanos();
        pause(nanos / 2 + ThreadLocalRandom.current().nextLong(nanos / 2 + 1));
        r.nextRefresh = System.nanoTime(); // ask again at once
    }

    /** The message, or the cause's when the consumer could not be built (e.g. no bootstrap address resolves). */
    private static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getMessage() != null && t.getMessage().startsWith("Failed to construct")) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /** Waits, until {@link #close()}. */
    private void pause(long nanos) throws InterruptedException {
        if (nanos > 0) {
            closing.await(nanos, TimeUnit.NANOSECONDS);
        }
    }

    private void deliver(ConsumerRecord<byte[], byte[]> record, Reader r) {
        ClusterEventView event;
        try {
            event = decode(record.value(), r.filter);
        } catch (NotATowerEvent e) {
            if (r.foreign++ == 0) {
                r.listener.notice("skipping records that are not Tower CloudEvents (the first: " + record.topic() + "-"
                        + record.partition() + " offset " + record.offset() + ": " + e.getMessage()
                        + "); further ones are skipped silently");
            }
            return;
        }
        if (event == null) {
            return; // filtered out
        }
        if (r.recent.put(event.id(), Boolean.TRUE) != null) {
            return; // a copy (at-least-once delivery)
        }
        r.listener.event(event);
    }

    /** A record whose value is not a Tower CloudEvent; the message says why. */
    static final class NotATowerEvent extends Exception {
        NotATowerEvent(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The event a structured CloudEvent written by {@link CloudEvents#structured} carries, or null when it does not
     * match {@code filter} (its data then stays undecoded).
     */
    static ClusterEventView decode(byte[] value, EventFilter filter) throws NotATowerEvent {
        if (value == null) {
            throw new NotATowerEvent("no value");
        }
        JsonNode ce;
        try {
            ce = Json.mapper().readTree(value);
        } catch (IOException e) {
            throw new NotATowerEvent("not JSON");
        }
        if (ce == null || !ce.isObject()) {
            throw new NotATowerEvent("not a JSON object");
        }
        if (!ce.path("specversion").asText("").startsWith("1.")) {
            throw new NotATowerEvent("not a CloudEvent 1.x (specversion " + ce.path("specversion") + ")");
        }
        String type = text(ce, "type");
        if (type == null || !type.startsWith(CloudEvents.TYPE_PREFIX)
                || type.length() == CloudEvents.TYPE_PREFIX.length()) {
            throw new NotATowerEvent("type " + ce.path("type") + " is not " + CloudEvents.TYPE_PREFIX + "*");
        }
        String id = text(ce, "id");
        if (id == null || id.isEmpty()) {
            throw new NotATowerEvent("no id");
        }
        type = type.substring(CloudEvents.TYPE_PREFIX.length());
        String subject = text(ce, "subject");
        if (!filter.matches(type, subject)) {
            return null;
        }
        JsonNode data = ce.get("data");
        Object decoded;
        try {
            decoded = data == null || data.isNull() ? null : Json.mapper().treeToValue(data, Object.class);
        } catch (IOException e) {
            throw new NotATowerEvent("undecodable data");
        }
        return new ClusterEventView(id, type, subject, text(ce, "time"), text(ce, "summary"), decoded);
    }

    private static String text(JsonNode ce, String field) {
        JsonNode n = ce.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    /** Ends {@link #follow} from any thread, also while it waits for Kafka. */
    @Override
    public void close() {
        closed = true;
        closing.countDown();
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }
}
