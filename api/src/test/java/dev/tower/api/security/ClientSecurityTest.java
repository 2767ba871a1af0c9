package dev.tower.api.security;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClientSecurityTest {
    @TempDir
    Path dir;

    @Test
    void flagsWinOverTheEnvironmentWhichFillsTheRest() throws Exception {
        Path file = Files.writeString(dir.resolve("s"), "from-file\n");
        ClientSecurity s = ClientSecurity.fromFlags("flag-user", file, null,
                Map.of("TOWER_PRINCIPAL", "env-user", "TOWER_SECRET", "env-secret"));
        assertThat(s.credential()).isEqualTo(Credential.basic("flag-user", "from-file"));
        assertThat(ClientSecurity.fromFlags(null, null, null, Map.of("TOWER_PRINCIPAL", "env-user",
                "TOWER_SECRET", "env-secret")).credential()).isEqualTo(Credential.basic("env-user", "env-secret"));
        assertThat(ClientSecurity.fromFlags(null, null, null, Map.of("TOWER_TOKEN", "t0k")).credential())
                .isEqualTo(Credential.bearer("t0k"));
        assertThat(ClientSecurity.fromFlags(null, null, null, Map.of())).isEqualTo(ClientSecurity.NONE);
    }

    @Test
    void halfACredentialIsAnErrorNamingWhatIsMissing() throws Exception {
        assertThatThrownBy(() -> ClientSecurity.fromFlags("admin", null, null, Map.of()))
                .hasMessageContaining("principal 'admin' has no secret");
        assertThatThrownBy(() -> ClientSecurity.fromFlags(null, null, null, Map.of("TOWER_SECRET", "x")))
                .hasMessageContaining("a secret was given without a principal");
        assertThatThrownBy(() -> ClientSecurity.fromFlags("admin", dir.resolve("missing"), null, Map.of()))
                .hasMessageContaining("cannot read secret file");
        assertThatThrownBy(() -> ClientSecurity.fromFlags("admin", Files.writeString(dir.resolve("e"), "\n"), null, Map.of()))
                .hasMessageContaining("is empty");
        assertThatThrownBy(() -> ClientSecurity.fromFlags(null, null, Files.writeString(dir.resolve("ca"), "nope"), Map.of()))
                .hasMessageContaining("CA certificate file");
    }

    @Test
    void everyRequestOfTheClientCarriesTheCredential() throws Exception {
        AtomicReference<String> seen = new AtomicReference<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            seen.set(ex.getRequestHeaders().getFirst("Authorization"));
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        server.start();
        try {
            HttpClient http = ClientSecurity.NONE.withCredential(Credential.basic("admin", "pw"))
                    .client(HttpClient.newBuilder());
            // A header the caller set is replaced: the client's identity is its own.
            http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/x"))
                    .header("Authorization", "Bearer other").build(), HttpResponse.BodyHandlers.discarding());
            assertThat(seen.get()).isEqualTo("Basic " + Base64.getEncoder()
                    .encodeToString("admin:pw".getBytes(StandardCharsets.UTF_8)));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aTlsClientNeverSendsPlainHttp() {
        SecureHttpClient c = new SecureHttpClient(HttpClient.newHttpClient(), null, true);
        HttpRequest r = c.secure(HttpRequest.newBuilder(URI.create("http://h:5050/api/v1/state?x=1")).build());
        assertThat(r.uri()).hasToString("https://h:5050/api/v1/state?x=1");
    }

    @Test
    void theSecretNeverShowsInToString() {
        ClientSecurity s = ClientSecurity.NONE.withCredential(Credential.basic("admin", "pw-secret"));
        assertThat(s.toString()).contains("admin").doesNotContain("pw-secret");
        assertThat(Credential.basic("admin", "pw-secret").toString()).doesNotContain("pw-secret");
    }
}
