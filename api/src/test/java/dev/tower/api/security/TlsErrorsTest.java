package dev.tower.api.security;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static dev.tower.api.security.ServerKeysTest.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** What the JDK's TLS failures become in a client's one-line message. */
class TlsErrorsTest {
    @Test
    void aServerSignedByAnotherCa() throws IOException {
        Throwable e = failureOf(ServerKeys.pem(fixture("server.pem"), fixture("server-key.pem")), fixture("other-ca.pem"));

        assertThat(TlsErrors.explain(e)).hasValue("TLS: the server's certificate is not signed by a CA this client "
                + "trusts (unable to find a valid certification path to it); give the cluster's CA with --ca-cert or "
                + "TOWER_CA_CERT");
    }

    @Test
    void aCertificateForAnotherHost() throws IOException {
        Throwable e = failureOf(ServerKeys.pem(fixture("elsewhere.pem"), fixture("elsewhere-key.pem")),
                fixture("elsewhere.pem"));

        assertThat(TlsErrors.explain(e)).hasValueSatisfying(m -> assertThat(m)
                .startsWith("TLS: the server's certificate is not for the address used (")
                .contains("127.0.0.1")
                .endsWith("); issue one naming it, e.g. tower certs --host HOST"));
    }

    @Test
    void aServerWithoutTls() throws Exception {
        // A plain HTTP server answers the client's TLS hello with an HTTP error, as Tower's does.
        try (ServerSocket plain = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (Socket s = plain.accept()) {
                    s.getInputStream().read(new byte[512]);
                    s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // the test fails on what the client saw
                }
            }, "plain-http");
            server.start();
            HttpClient client = HttpClient.newBuilder().sslContext(TrustedCertificates.sslContext(fixture("ca.pem"))).build();
            Throwable e = catchThrowable(() -> client.send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + plain.getLocalPort() + "/")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.discarding()));
            server.join(10_000);

            assertThat(TlsErrors.explain(e)).hasValue("TLS: the server does not speak TLS (plain HTTP?); drop "
                    + "--ca-cert / TOWER_CA_CERT, or start it with --tls-cert");
        }
    }

    @Test
    void plainHttpToATlsServer() throws Exception {
        // A TLS server reads the plain request as a broken handshake and closes the connection without a byte, as
        // Tower's masters and agents do.
        try (ServerSocket tls = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                // The client tries a GET that got no bytes once more: a few connections, each closed unanswered.
                for (int i = 0; i < 4; i++) {
                    try (Socket s = tls.accept()) {
                        s.getInputStream().read(new byte[512]);
                    } catch (IOException e) {
                        return; // closed by the test
                    }
                }
            }, "tls-only");
            server.start();
            Throwable e = catchThrowable(() -> HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                    .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + tls.getLocalPort() + "/"))
                            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()));
            tls.close();
            server.join(10_000);

            assertThat(TlsErrors.explain(e)).hasValue("TLS: the server closed a plain HTTP connection without a "
                    + "word: if it serves HTTPS, give the cluster's CA with --ca-cert or TOWER_CA_CERT");
        }
    }

    @Test
    void otherFailuresAreNotTls() {
        assertThat(TlsErrors.explain(new ConnectException("Connection refused"))).isEmpty();
        assertThat(TlsErrors.explain(new IOException("closed", new RuntimeException("x")))).isEmpty();
    }

    /** What a client trusting {@code ca} gets from an HTTPS server presenting {@code keys}, at 127.0.0.1. */
    private static Throwable failureOf(ServerKeys keys, Path ca) throws IOException {
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(keys.sslContext()));
        server.createContext("/", x -> {
            x.sendResponseHeaders(200, -1);
            x.close();
        });
        server.start();
        try {
            HttpClient client = HttpClient.newBuilder().sslContext(TrustedCertificates.sslContext(ca)).build();
            Throwable e = catchThrowable(() -> client.send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/")).timeout(Duration.ofSeconds(10))
                    .build(),
                    HttpResponse.BodyHandlers.discarding()));
            assertThat(e).isNotNull();
            return e;
        } finally {
            server.stop(0);
        }
    }
}
