package dev.tower.kafka;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tower.api.codec.Json;
import dev.tower.manager.core.ClusterEvent;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tower's cluster events as CloudEvents 1.0 in the structured JSON format ({@code application/cloudevents+json}):
 * <pre>{@code
 * {"specversion":"1.0","id":"<masterId>-<seq>","source":"tower://<cluster>","type":"dev.tower.task.status",
 *  "subject":"<entity id>","time":"2026-01-02T03:04:05.678Z","datacontenttype":"application/json",
 *  "summary":"<the master's log line>","data":{...}}
 * }</pre>
 * {@code summary} is an extension attribute (the line the master logs, as on the events stream). Written with Tower's
 * own Jackson mapper rather than the CloudEvents SDK: the format is one flat JSON object, the
 * outbox needs the final bytes anyway, and the SDK would add three jars (and pull an old kafka-clients) to do the same.
 * The tests check the output with the SDK's own parser.
 */
public final class CloudEvents {
    /** Kafka {@code content-type} header value for the structured mode (CloudEvents Kafka protocol binding). */
    public static final String CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8";
    public static final String TYPE_PREFIX = "dev.tower.";
    /** RFC 3339 in UTC, always with milliseconds (Instant.toString leaves out a zero fraction), as the events stream. */
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private CloudEvents() {
    }

    /** The fields, in this order; {@code subject}, {@code summary} and {@code data} are left out when null. */
    record Structured(String specversion, String id, String source, String type, String subject, String time,
                      String datacontenttype, String summary, Object data) {
    }

    /** The CloudEvent for {@code event}, as UTF-8 JSON bytes. Never throws for unserialisable data (see below). */
    public static byte[] structured(ClusterEvent event, String source) {
        Structured ce = new Structured("1.0", event.id(), source, TYPE_PREFIX + event.type(), event.subject(),
                TIME.format(Instant.ofEpochMilli(event.timeMillis())), "application/json",
                event.summary(), event.data());
        try {
            return Json.mapper().writeValueAsBytes(ce);
        } catch (JsonProcessingException e) {
            // A data object Jackson cannot write must not lose the event: keep what the master logged instead.
            Map<String, Object> fallback = new LinkedHashMap<>();
            fallback.put("summary", event.summary());
            fallback.put("error", "data not serialisable: " + e.getOriginalMessage());
            Structured safe = new Structured(ce.specversion(), ce.id(), ce.source(), ce.type(), ce.subject(), ce.time(),
                    "application/json", ce.summary(), fallback);
            return Json.writeBytes(safe);
        }
    }
}
