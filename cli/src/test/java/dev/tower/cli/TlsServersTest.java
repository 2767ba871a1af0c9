package dev.tower.cli;

import dev.tower.agent.http.AgentHttpServer;
import dev.tower.agent.http.AgentStateView;
import dev.tower.agent.metrics.AgentMetrics;
import dev.tower.agent.metrics.AgentStatus;
import dev.tower.agent.sandbox.Sandboxes;
import dev.tower.agent.security.AgentSecurity;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskState;
import dev.tower.api.security.ClientSecurity;
import dev.tower.api.security.ServerKeys;
import dev.tower.api.detect.ZooKeeperUrl;
import dev.tower.cli.certs.CertificateIssuer;
import dev.tower.cli.cluster.EmbeddedZooKeeper;
import dev.tower.manager.Master;
import dev.tower.manager.MasterOptions;
import dev.tower.manager.security.MasterSecurity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** A master and an agent serving HTTPS with certificates from {@code tower certs}' issuer, and what clients see. */
class TlsServersTest {
    @TempDir
    static Path dir;

    static Path ca;
    static Path otherCa;
    static ServerKeys keys;
    static Master master;

    @BeforeAll
    static void startMaster() throws IOException {
        CertificateIssuer issuer = new CertificateIssuer(CertificateIssuer.KeyType.EC);
        CertificateIssuer.Issued authority = issuer.ca("Test CA", Duration.ofDays(1));
        CertificateIssuer.Issued server = issuer.server(authority, List.of("localhost", "127.0.0.1"), Duration.ofDays(1));
        ca = Files.writeString(dir.resolve("ca.pem"), authority.certificatePem());
        otherCa = Files.writeString(dir.resolve("other-ca.pem"),
                issuer.ca("Other CA", Duration.ofDays(1)).certificatePem());
        Path cert = Files.writeString(dir.resolve("server.pem"), server.certificatePem());
        Path key = Files.writeString(dir.resolve("server-key.pem"), server.keyPem());
        keys = ServerKeys.pem(cert, key);
        master = Master.start(MasterOptions.defaults(dir.resolve("master")).withPort(0).withHosts("127.0.0.1", "127.0.0.1")
                .withSecurity(new MasterSecurity(null, null, keys.sslContext(), null)));
    }

    @AfterAll
    static void stopMaster() {
        if (master != null) {
            master.close();
        }
    }

    @Test
    void aClientTrustingTheCaIsServedOverHttps() throws Exception {
        HttpClient client = ClientSecurity.of(null, null, null, null, ca).client(HttpClient.newBuilder());

        // http:// as callers build URIs from master addresses: the client goes over https itself.
        HttpResponse<String> health = client.send(get("http://127.0.0.1:" + master.port() + "/health"),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> state = client.send(get("https://localhost:" + master.port() + "/api/v1/state"),
                HttpResponse.BodyHandlers.ofString());

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.uri().getScheme()).isEqualTo("https");
        assertThat(health.body()).contains("\"role\":\"leader\"");
        assertThat(state.statusCode()).isEqualTo(200);
        assertThat(state.body()).contains("\"agents\"");
    }

    @Test
    void theEventStreamFlowsOverHttps() throws Exception {
        HttpClient client = ClientSecurity.of(null, null, null, null, ca).client(HttpClient.newBuilder());
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + master.port() + "/api/v1/events"))
                .header("Accept", "text/event-stream").GET().build();

        HttpResponse<java.util.stream.Stream<String>> r = client.sendAsync(request, HttpResponse.BodyHandlers.ofLines())
                .get(10, java.util.concurrent.TimeUnit.SECONDS);
        try (java.util.stream.Stream<String> lines = r.body()) {
            assertThat(r.statusCode()).isEqualTo(200);
            // The first event arrives while the stream stays open: nothing waits for the response to end.
            assertThat(java.util.concurrent.CompletableFuture.supplyAsync(() -> lines.filter(l -> l.startsWith("event:"))
                    .findFirst().orElse("")).get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("event: SUBSCRIBED");
        }
    }

    @Test
    void aClientTrustingAnotherCaRefusesTheMaster() {
        HttpClient client = ClientSecurity.of(null, null, null, null, otherCa).client(HttpClient.newBuilder());

        assertThatThrownBy(() -> client.send(get("https://127.0.0.1:" + master.port() + "/health"),
                HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(SSLHandshakeException.class)
                .hasMessageContaining("PKIX path building failed");
    }

    @Test
    void theCliSaysInOneLineThatTheMastersCertificateIsNotTrusted() {
        Run r = tower("agents", "--master", "127.0.0.1:" + master.port(), "--ca-cert", otherCa.toString());

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("tower: cannot reach a master: no leading master (127.0.0.1:" + master.port()
                + ": TLS: the server's certificate is not signed by a CA this client trusts (unable to find a valid "
                + "certification path to it); give the cluster's CA with --ca-cert or TOWER_CA_CERT)"
                + System.lineSeparator());
    }

    @Test
    void theCliTrustingTheCaListsTheAgents() {
        Run r = tower("agents", "--master", "127.0.0.1:" + master.port(), "--ca-cert", ca.toString());

        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("AGENT");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void aPlainHttpRequestToTheTlsPortGetsNoAnswer() {
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + master.port() + "/health"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(IOException.class);
    }

    @Test
    void theCliWithoutTheCaCannotReadTheMaster() {
        Run r = tower("agents", "--master", "127.0.0.1:" + master.port());

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("tower: cannot reach a master: ").doesNotContain("\tat ");
        assertThat(r.err().lines()).hasSize(1);
    }

    record Run(int code, String out, String err) {
    }

    /** {@code tower ARGS} as a user runs it (environment aside), with what it prints. */
    private static Run tower(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = TowerCli.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("tower: " + TowerCli.explain(ex));
            return 1;
        });
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void aStandbySendsCallersToTheLeaderOverHttps() throws Exception {
        MasterSecurity tls = new MasterSecurity(null, null, keys.sslContext(), null);
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(dir.resolve("zk"), 0)) {
            ZooKeeperUrl url = ZooKeeperUrl.parse(zk.masterUrl());
            try (Master leader = Master.start(MasterOptions.defaults(dir.resolve("leader")).withPort(0)
                    .withHosts("127.0.0.1", "127.0.0.1").withZooKeeper(url, Duration.ofSeconds(5)).withSecurity(tls))) {
                await().atMost(Duration.ofSeconds(30)).until(leader::isLeader);
                try (Master standby = Master.start(MasterOptions.defaults(dir.resolve("standby")).withPort(0)
                        .withHosts("127.0.0.1", "127.0.0.1").withZooKeeper(url, Duration.ofSeconds(5)).withSecurity(tls))) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> standby.leaderAddress().isPresent());
                    HttpClient client = ClientSecurity.of(null, null, null, null, ca).client(HttpClient.newBuilder());

                    HttpResponse<String> r = client.send(get("https://127.0.0.1:" + standby.port() + "/api/v1/state?x=1"),
                            HttpResponse.BodyHandlers.ofString());

                    assertThat(r.statusCode()).isEqualTo(307);
                    assertThat(r.headers().firstValue("Location"))
                            .hasValue("https://127.0.0.1:" + leader.port() + "/api/v1/state?x=1");
                }
            }
        }
    }

    @Test
    void anAgentServesHttpsToAClientTrustingTheCa() throws Exception {
        AgentStateView view = new AgentStateView("agent-1", "127.0.0.1", 0, true, null, Map.of(), List.of());
        try (AgentHttpServer agent = AgentHttpServer.start(0, new Sandboxes(dir.resolve("agent")), () -> view,
                new AgentMetrics(new IdleAgent()), new AgentSecurity(null, null, keys.sslContext()), null)) {
            HttpClient client = ClientSecurity.of(null, null, null, null, ca).client(HttpClient.newBuilder());
            HttpResponse<String> health = client.send(get("http://localhost:" + agent.port() + "/health"),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.uri().getScheme()).isEqualTo("https");

            HttpClient untrusting = ClientSecurity.of(null, null, null, null, otherCa).client(HttpClient.newBuilder());
            assertThatThrownBy(() -> untrusting.send(get("http://localhost:" + agent.port() + "/health"),
                    HttpResponse.BodyHandlers.ofString())).isInstanceOf(SSLHandshakeException.class);
        }
    }

    private static HttpRequest get(String uri) {
        return HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(10)).GET().build();
    }

    /** An agent with nothing running. */
    private static final class IdleAgent implements AgentStatus {
        @Override
        public List<TaskState> taskStates() {
            return List.of();
        }

        @Override
        public Resources capacity() {
            return Resources.cpusMem(1, 1024);
        }

        @Override
        public Resources used() {
            return Resources.EMPTY;
        }

        @Override
        public int unacknowledgedUpdates() {
            return 0;
        }

        @Override
        public List<String> containerizers() {
            return List.of("process");
        }

        @Override
        public boolean connected() {
            return true;
        }
    }
}
