package dev.tower.agent.http;

import dev.tower.api.codec.Json;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/** Every error leaves the agent as {@code {"error": "..."}}, never as a stack trace or an HTML page. */
@Provider
public final class JsonErrors implements ExceptionMapper<Throwable> {
    private static final Logger LOG = LoggerFactory.getLogger(JsonErrors.class);

    @Override
    public Response toResponse(Throwable e) {
        if (e instanceof ApiException api) {
            return error(api.status(), api.getMessage());
        }
        if (e instanceof WebApplicationException web) {
            int status = web.getResponse().getStatus();
            String reason = web.getResponse().getStatusInfo().getReasonPhrase();
            return error(status, status == 404 ? "not found" : reason == null ? "HTTP " + status : reason.toLowerCase());
        }
        LOG.warn("request failed unexpectedly", e);
        return error(500, "internal error: " + e.getClass().getSimpleName());
    }

    static Response error(int status, String message) {
        return json(status, Map.of("error", message));
    }

    /** Serialized here with the wire codec, so the agent's JSON looks exactly like the master's. */
    static Response json(int status, Object body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(Json.write(body)).build();
    }
}
