package dev.tower.api.client;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends calls to a master from a few threads with blocking requests. A burst of calls (a launch of hundreds of
 * tasks, their acknowledgements) then travels over a few kept-alive connections in submission order, instead of
 * opening a connection and a client thread per call, which costs more than the calls themselves.
 *
 * <p>The returned futures complete on a sender thread: what is chained on them must be quick.
 */
public final class CallSender implements AutoCloseable {
    /** Enough to overlap a slow answer with the next calls; more only adds connections. */
    public static final int DEFAULT_CONNECTIONS = 4;

    private final HttpClient http;
    private final ExecutorService threads;

    public CallSender(HttpClient http, int connections, String threadName) {
        this.http = http;
        AtomicInteger n = new AtomicInteger();
        this.threads = new ThreadPoolExecutor(connections, connections, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, threadName + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Queues the request; the future fails with an {@link IOException} if it cannot be sent. */
    public CompletableFuture<HttpResponse<String>> send(HttpRequest request) {
        CompletableFuture<HttpResponse<String>> answer = new CompletableFuture<>();
        try {
            threads.execute(() -> {
                try {
                    answer.complete(http.send(request, HttpResponse.BodyHandlers.ofString()));
                } catch (IOException e) {
                    answer.completeExceptionally(e);
                } catch (InterruptedException e) {
                    answer.completeExceptionally(new IOException("sender stopped", e));
                    Thread.currentThread().interrupt();
                }
            });
        } catch (RejectedExecutionException e) {
            answer.completeExceptionally(new IOException("sender closed"));
        }
        return answer;
    }

    /** Sends what is already queued (each request has its own timeout), accepts nothing more. */
    @Override
    public void close() {
        threads.shutdown();
    }
}
