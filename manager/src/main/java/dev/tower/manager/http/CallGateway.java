package dev.tower.manager.http;

import dev.tower.manager.core.Command;
import dev.tower.manager.core.Reply;
import dev.tower.manager.runtime.CoreLoop;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * How HTTP resources reach the core: enqueue a command, answer with its reply. Threads never touch state.
 * <p>
 * The core and its streams belong to one term of leadership: {@link #attach} when this master starts serving,
 * {@link #detach} when it stops (a standby, or a deposed leader). Detached, every call is answered 503.
 */
public final class CallGateway {
    public static final String STREAM_HEADER = "Tower-Stream-Id";
    static final long REPLY_TIMEOUT_SECONDS = 30;
    static final String NOT_LEADING = "this master is not the leading master";

    private record Serving(CoreLoop core, Streams streams) {
    }

    private volatile Serving serving;

    public CallGateway() {
    }

    public CallGateway(CoreLoop core, Streams streams) {
        attach(core, streams);
    }

    /** From now on calls go to {@code core}, and streams open in {@code streams}. */
    public void attach(CoreLoop core, Streams streams) {
        this.serving = new Serving(core, streams);
    }

    /** From now on calls are answered 503. */
    public void detach() {
        this.serving = null;
    }

    public boolean attached() {
        return serving != null;
    }

    /** Enqueues a command to the core; completes with its reply (503 when no core is attached). */
    public CompletableFuture<Reply> submit(Command command) {
        Serving s = serving;
        if (s == null) {
            return CompletableFuture.completedFuture(new Reply(503, null, NOT_LEADING));
        }
        return s.core().submit(command);
    }

    /** Asynchronous: the HTTP thread is released at once and the response resumes when the core replied. */
    public void call(Command command, AsyncResponse response) {
        response.setTimeout(REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        submit(command).thenAccept(reply -> response.resume(Replies.toResponse(reply)));
    }

    /** Like {@link #call(Command, AsyncResponse)}, reshaping the reply first (queries that answer 404). */
    public void call(Command command, java.util.function.UnaryOperator<Reply> reshape, AsyncResponse response) {
        response.setTimeout(REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        submit(command).thenAccept(reply -> response.resume(Replies.toResponse(reshape.apply(reply))));
    }

    public Reply await(Command command) {
        return await(submit(command));
    }

    private static Reply await(CompletableFuture<Reply> reply) {
        try {
            return reply.get(REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Reply(503, null, "interrupted");
        } catch (ExecutionException | TimeoutException e) {
            return new Reply(503, null, "master busy: " + e);
        }
    }

    /** For a call that arrived on the streaming endpoint: its reply leaves as the (non-stream) response. */
    void callAndThrowReply(Command command) {
        throw new WebApplicationException(Replies.toResponse(await(command)));
    }

    /**
     * Opens a stream: registers the sink and asks the core to subscribe. On success the core's first effect on this
     * stream is its SUBSCRIBED event; if the core refuses (or no core is attached), the stream is forgotten and the
     * caller answers the returned error instead of a stream.
     */
    Reply openStream(Streams.Kind kind, SseEventSink sink, Sse sse, Function<String, Command> subscribe) {
        Serving s = serving;
        if (s == null) {
            return new Reply(503, null, NOT_LEADING);
        }
        String id = s.streams().open(kind, sink, sse);
        Reply reply = await(s.core().submit(subscribe.apply(id)));
        if (reply.isError()) {
            s.streams().discard(id);
        }
        return reply;
    }
}
