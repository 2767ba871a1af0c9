package dev.tower.api.client;

import dev.tower.api.detect.MasterDetector;
import dev.tower.api.detect.NoLeaderException;
import dev.tower.api.security.ClientSecurity;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Sends a request to the leading master, the one rule shared by the scheduler client and the CLI: try the
 * detector's candidates in order, follow a {@code 307} to the leader, move on after a refused connection or a
 * {@code 503}, and tell the detector who answered as leader.
 */
final class LeadingMaster {
    /** A standby should point straight at the leader; more hops than this means masters disagree on who leads. */
    private static final int MAX_REDIRECTS = 3;

    private final MasterDetector detector;
    private final HttpClient http;

    LeadingMaster(MasterDetector detector, HttpClient http) {
        this.detector = detector;
        this.http = http;
    }

    MasterDetector detector() {
        return detector;
    }

    /**
     * HTTP/1.1 because event streams are long chunked responses; redirects stay off so that 307s reach us; the
     * credential and trust of {@code security} on every request.
     */
    static HttpClient defaultHttpClient(Duration connectTimeout, ClientSecurity security) {
        return security.client(HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout));
    }

    /** As {@link #defaultHttpClient(Duration, ClientSecurity)} with the credential and CA of the environment. */
    static HttpClient defaultHttpClient(Duration connectTimeout) {
        return defaultHttpClient(connectTimeout, ClientSecurity.fromEnvironment());
    }

    /** The leader's successful reply; its body is open and belongs to the caller. */
    record Reply(URI master, HttpResponse<InputStream> response) {
    }

    /**
     * One pass over the candidates.
     *
     * @param request builds the request for a full URI (candidate base + {@code path})
     * @throws CallRejectedException the leader answered with a status other than 2xx
     * @throws MasterUnavailableException no candidate answered as leader, or the detector knows of none
     */
    Reply send(String path, Function<URI, HttpRequest> request) throws InterruptedException {
        String p = path.startsWith("/") ? path : "/" + path;
        List<URI> candidates;
        try {
            candidates = detector.candidates();
        } catch (NoLeaderException e) {
            throw new MasterUnavailableException(e.getMessage(), e);
        }
        List<String> tried = new ArrayList<>();
        for (URI candidate : candidates) {
            URI master = candidate;
            for (int hop = 0; ; hop++) {
                HttpResponse<InputStream> response;
                try {
                    response = http.send(request.apply(master.resolve(p)), HttpResponse.BodyHandlers.ofInputStream());
                } catch (IOException e) {
                    tried.add(master.getAuthority() + ": " + describe(e));
                    break;
                }
                int status = response.statusCode();
                Optional<String> location = response.headers().firstValue("Location");
                if (status == 307 && location.isPresent() && hop < MAX_REDIRECTS) {
                    drain(response);
                    master = base(master.resolve(location.get()));
                    continue;
                }
                if (status == 307 || status == 503) {
                    tried.add(master.getAuthority() + ": " + status + " "
                            + CallRejectedException.errorText(status, drain(response)));
                    break;
                }
                detector.leaderSeen(master);
                if (status / 100 != 2) {
                    throw CallRejectedException.fromReply(status, drain(response));
                }
                return new Reply(master, response);
            }
        }
        throw new MasterUnavailableException("no leading master (" + String.join("; ", tried) + ")");
    }

    /** {@code http://host:port} of a Location, which may name any path on the leader. */
    private static URI base(URI location) {
        return URI.create(location.getScheme() + "://" + location.getRawAuthority());
    }

    static String drain(HttpResponse<InputStream> response) {
        try (InputStream in = response.body()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** ConnectException and friends often carry no message; their type is then the explanation. TLS failures are explained. */
    static String describe(Throwable e) {
        java.util.Optional<String> tls = dev.tower.api.security.TlsErrors.explain(e);
        if (tls.isPresent()) {
            return tls.get();
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
