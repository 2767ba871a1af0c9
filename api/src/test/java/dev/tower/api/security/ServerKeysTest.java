package dev.tower.api.security;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerKeysTest {
    @TempDir
    Path tmp;

    static Path fixture(String name) {
        try {
            return Path.of(ServerKeysTest.class.getResource("tls/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void pemCertificateAndPkcs8KeyServeHttpsThatTheCaTrusts() throws Exception {
        ServerKeys keys = ServerKeys.pem(fixture("server.pem"), fixture("server-key.pem"));

        assertThat(keys.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
        assertThat(keys.describe()).contains("CN=localhost", "issued by CN=Test CA", "valid until");
        assertThat(get(keys, fixture("ca.pem"))).isEqualTo("hello over TLS");
    }

    @Test
    void aClientTrustingAnotherCaRefusesTheServer() {
        ServerKeys keys = ServerKeys.pem(fixture("server.pem"), fixture("server-key.pem"));

        assertThatThrownBy(() -> get(keys, fixture("other-ca.pem")))
                .isInstanceOf(SSLHandshakeException.class)
                .hasMessageContaining("PKIX path");
    }

    @Test
    void pkcs1RsaAndSec1EcKeysAreRead() throws Exception {
        assertThat(get(ServerKeys.pem(fixture("server.pem"), fixture("server-key-rsa.pem")), fixture("ca.pem")))
                .isEqualTo("hello over TLS");
        ServerKeys ec = ServerKeys.pem(fixture("ec-server.pem"), fixture("ec-server-key.pem"));
        assertThat(ec.certificate().getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(get(ec, fixture("ca.pem"))).isEqualTo("hello over TLS");
    }

    @Test
    void pkcs12KeystoreServesHttps() throws Exception {
        ServerKeys keys = ServerKeys.pkcs12(fixture("server.p12"), "s3cret".toCharArray());

        assertThat(keys.chain()).hasSize(2);
        assertThat(keys.chain().get(1).getSubjectX500Principal().getName()).isEqualTo("CN=Test CA");
        assertThat(get(keys, fixture("ca.pem"))).isEqualTo("hello over TLS");
    }

    @Test
    void wrongKeystorePasswordIsSaidSo() {
        Path p12 = fixture("server.p12");
        assertThatThrownBy(() -> ServerKeys.pkcs12(p12, "wrong".toCharArray()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("keystore " + p12 + ": wrong password");
    }

    @Test
    void missingFilesAreNamed() {
        Path missing = tmp.resolve("nope.pem");
        assertThatThrownBy(() -> ServerKeys.pem(missing, fixture("server-key.pem")))
                .hasMessage("certificate file " + missing + ": no such file");
        assertThatThrownBy(() -> ServerKeys.pem(fixture("server.pem"), missing))
                .hasMessage("private key file " + missing + ": no such file");
        assertThatThrownBy(() -> ServerKeys.pkcs12(missing, new char[0]))
                .hasMessage("keystore " + missing + ": no such file");
    }

    @Test
    void garbageIsNamedWithWhatWasExpected() throws IOException {
        Path garbage = Files.writeString(tmp.resolve("garbage.pem"), "not a certificate\n");
        assertThatThrownBy(() -> ServerKeys.pem(garbage, fixture("server-key.pem")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("certificate file " + garbage + ": no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)");
        assertThatThrownBy(() -> ServerKeys.pem(fixture("server.pem"), garbage))
                .hasMessage("private key file " + garbage + ": no PEM private key in it (expected -----BEGIN PRIVATE KEY-----)");
        assertThatThrownBy(() -> ServerKeys.pkcs12(garbage, new char[0]))
                .hasMessageStartingWith("keystore " + garbage + ": cannot read it as PKCS#12");

        Path brokenKey = Files.writeString(tmp.resolve("broken-key.pem"),
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> ServerKeys.pem(fixture("server.pem"), brokenKey))
                .hasMessageStartingWith("private key file " + brokenKey + ": not a valid PRIVATE KEY");
    }

    @Test
    void aKeyOfAnotherCertificateOrAnEncryptedKeyIsRefused() {
        assertThatThrownBy(() -> ServerKeys.pem(fixture("server.pem"), fixture("ec-server-key.pem")))
                .hasMessageContaining("ec-server-key.pem: not the key of the certificate in")
                .hasMessageContaining("(CN=localhost)");
        assertThatThrownBy(() -> ServerKeys.pem(fixture("server.pem"), fixture("encrypted-key.pem")))
                .hasMessageContaining("encrypted-key.pem: the key is encrypted; give it unencrypted (e.g. openssl pkcs8 -topk8 -nocrypt");
    }

    /** GET over HTTPS from a JDK server presenting {@code keys}, by a client trusting {@code ca}. */
    private static String get(ServerKeys keys, Path ca) throws IOException, InterruptedException {
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(keys.sslContext()));
        server.createContext("/", exchange -> {
            byte[] body = "hello over TLS".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            HttpClient client = HttpClient.newBuilder().sslContext(TrustedCertificates.sslContext(ca)).build();
            URI uri = URI.create("https://localhost:" + server.getAddress().getPort() + "/");
            return client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()).body();
        } finally {
            server.stop(0);
        }
    }
}
