package dev.tower.api.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.codec.Json;

import java.io.IOException;

/** The master answered a call with a non-2xx status; the message is the master's own {@code error} text. */
public class CallRejectedException extends RuntimeException {
    private final int status;

    public CallRejectedException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The HTTP status the master answered with. */
    public int status() {
        return status;
    }

    /** A rejection built from a reply body, which the protocol says is {@code {"error":"..."}}. */
    static CallRejectedException fromReply(int status, String body) {
        return new CallRejectedException(status, errorText(status, body));
    }

    /**
     * The {@code error} field of a reply body; the raw body when it is not that shape, so that a proxy's or a
     * misconfigured server's answer still reaches the user rather than a bare status code.
     */
    static String errorText(int status, String body) {
        if (body == null || body.isBlank()) {
            return "HTTP " + status;
        }
        try {
            JsonNode error = Json.mapper().readTree(body).get("error");
            if (error != null && error.isTextual()) {
                return error.asText();
            }
        } catch (IOException | RuntimeException notJson) {
            // fall through to the raw body
        }
        String trimmed = body.strip();
        return trimmed.length() > 500 ? trimmed.substring(0, 500) + "…" : trimmed;
    }
}
