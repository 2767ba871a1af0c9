package dev.tower.manager.http;

import dev.tower.api.codec.Json;
import dev.tower.manager.core.Reply;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.Map;

/** Turns core replies and errors into HTTP responses: JSON bodies, {@code {"error": ...}} on failure. */
final class Replies {
    private Replies() {
    }

    static Response toResponse(Reply reply) {
        if (reply.isError()) {
            return error(reply.status(), reply.error());
        }
        if (reply.status() == 202) {
            return Response.accepted().build();
        }
        return json(reply.status(), reply.body());
    }

    static Response json(int status, Object body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(Json.write(body)).build();
    }

    static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(errorBody(message)).build();
    }

    /** The body of every error answer, whichever layer sends it. */
    static String errorBody(String message) {
        return Json.write(Map.of("error", message));
    }

    /** The error reply of a call that arrived on a streaming endpoint, thrown as its response. */
    static WebApplicationException failure(Reply reply) {
        return new WebApplicationException(reply.error(), toResponse(reply));
    }

    static WebApplicationException failure(int status, String message) {
        return new WebApplicationException(message, error(status, message));
    }
}
