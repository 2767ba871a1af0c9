package dev.tower.manager.http;

import dev.tower.api.codec.BadInputException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every failure leaves as JSON {@code {"error": ...}}; callers never see a stack trace. */
@Provider
public final class ErrorMapper implements ExceptionMapper<Throwable> {
    private static final Logger log = LoggerFactory.getLogger(ErrorMapper.class);

    @Context
    private UriInfo uri;

    @Override
    public Response toResponse(Throwable e) {
        if (e instanceof BadInputException) {
            return Replies.error(400, e.getMessage());
        }
        if (e instanceof NotFoundException) {
            return Replies.error(404, "no such endpoint: /" + (uri == null ? "" : uri.getPath()));
        }
        if (e instanceof NotAllowedException n) {
            return Replies.error(405, "method not allowed here; allowed: " + n.getResponse().getAllowedMethods());
        }
        if (e instanceof WebApplicationException w) {
            Response r = w.getResponse();
            if (r.hasEntity()) {
                return r;
            }
            return Replies.error(r.getStatus(), r.getStatusInfo().getReasonPhrase());
        }
        log.error("unexpected error serving a request", e);
        return Replies.error(500, "internal error: " + e.getClass().getSimpleName());
    }
}
