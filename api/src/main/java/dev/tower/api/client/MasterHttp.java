package dev.tower.api.client;

import dev.tower.api.codec.Json;
import dev.tower.api.detect.MasterDetector;
import dev.tower.api.security.ClientSecurity;
import dev.tower.api.security.TlsErrors;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One-off blocking requests to the leading master, for the CLI and tools. Retries rounds over the candidates with
 * backoff while no master leads, up to {@code timeout}; a detector that learns of a new leader (ZooKeeper) cuts the
 * pause short.
 */
public final class MasterHttp {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final LeadingMaster master;
    private final Duration timeout;
    private final Supplier<Backoff> backoffs;

    /** With the credential and CA the environment names ({@link ClientSecurity#fromEnvironment()}). */
    public MasterHttp(MasterDetector detector) {
        this(detector, ClientSecurity.fromEnvironment());
    }

    public MasterHttp(MasterDetector detector, ClientSecurity security) {
        this(detector, LeadingMaster.defaultHttpClient(DEFAULT_TIMEOUT, security), DEFAULT_TIMEOUT);
    }

    /** @param timeout bounds both each request and the whole search for a leader */
    public MasterHttp(MasterDetector detector, HttpClient http, Duration timeout) {
        this(detector, http, timeout, Backoff::new);
    }

    /** @param backoffs the pauses between rounds, one sequence per call */
    MasterHttp(MasterDetector detector, HttpClient http, Duration timeout, Supplier<Backoff> backoffs) {
        this.master = new LeadingMaster(detector, http);
        this.timeout = timeout;
        this.backoffs = backoffs;
    }

    /**
     * The body of a 2xx reply to {@code GET path}.
     *
     * @throws CallRejectedException the leader answered with another status; the message is its {@code error}
     * @throws MasterUnavailableException no master led within the timeout, or the thread was interrupted
     */
    public String get(String path) {
        return exchange(path, uri -> request(uri).header("Accept", "application/json").GET().build());
    }

    /** Like {@link #get}, for {@code POST path} with {@code body} encoded as JSON. */
    public String post(String path, Object body) {
        byte[] json = Json.writeBytes(body);
        return exchange(path, uri -> request(uri)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json))
                .build());
    }

    private HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(timeout);
    }

    private String exchange(String path, Function<URI, HttpRequest> request) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Backoff backoff = backoffs.get();
        while (true) {
            long changes = master.detector().leaderChanges();
            try {
                LeadingMaster.Reply reply = master.send(path, request);
                try (var in = reply.response().body()) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            } catch (MasterUnavailableException e) {
                if (e.getMessage() != null && e.getMessage().contains(TlsErrors.PREFIX)) {
                    throw e; // a certificate or scheme mismatch: waiting for a leader will not mend it
                }
                Duration pause = backoff.next();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw e;
                }
                // The last pause is cut to what is left, so that a leader elected just before the deadline is found.
                awaitLeader(changes, pause.toNanos() > left ? Duration.ofNanos(left) : pause);
            } catch (IOException e) {
                throw new MasterUnavailableException("reading the reply to " + path + " failed: "
                        + LeadingMaster.describe(e), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MasterUnavailableException("interrupted while calling " + path, e);
            }
        }
    }

    private void awaitLeader(long changes, Duration pause) {
        try {
            master.detector().awaitLeaderChange(changes, pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MasterUnavailableException("interrupted while waiting for a leading master", e);
        }
    }
}
