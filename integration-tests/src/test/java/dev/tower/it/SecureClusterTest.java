package dev.tower.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.security.ClientSecurity;
import dev.tower.api.security.Credential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A cluster of separate processes with TLS, authentication and ACLs on: certificates from {@code tower certs}; the
 * master accepts principals admin, spark, agent and master; the agent accepts the master and admin and calls the
 * master as agent, both over HTTPS trusting the cluster's CA. {@code tower run} and Spark work with a credential and
 * the CA, and are refused without a credential; a principal outside a role's ACL cannot run there; a task's token
 * reads its own sandbox and no other.
 */
@ExtendWith(LogsOnFailure.class)
class SecureClusterTest {
    private static final String ACLS = """
            {"permissive": false,
             "register_frameworks": [{"principals": ["admin"], "roles": "ANY"},
                                     {"principals": ["spark"], "roles": ["analytics"]}],
             "run_tasks": [{"principals": ["admin", "spark"], "users": "ANY"}],
             "register_agents": [{"principals": ["agent"], "agents": "ANY"}],
             "view_sandboxes": [{"principals": ["admin"], "framework_principals": "ANY"},
                                {"principals": ["spark"], "framework_principals": ["spark"]}],
             "teardown_frameworks": [{"principals": ["admin"], "framework_principals": "ANY"}],
             "kill_tasks": [{"principals": ["admin"], "framework_principals": "ANY"}],
             "update_weights": [{"principals": ["admin"], "roles": "ANY"}]}
            """;
    private static final Duration JOB_TIMEOUT = Duration.ofMinutes(3);

    private static Cluster cluster;
    private static Path dir;
    private static int masterPort;
    private static HttpClient admin;
    /** Trusts the cluster's CA, presents no credential. */
    private static HttpClient anonymous;
    private static Path ca;

    @BeforeAll
    static void startCluster() throws IOException {
        cluster = Cluster.bare("secure");
        dir = cluster.workDir();
        Map<String, String> secrets = Map.of("admin", "admin-s3cret", "spark", "spark-s3cret", "agent", "agent-s3cret",
                "master", "master-s3cret");
        for (Map.Entry<String, String> e : secrets.entrySet()) {
            Files.writeString(dir.resolve(e.getKey() + ".secret"), e.getValue() + "\n");
        }
        Files.writeString(dir.resolve("credentials.json"), credentials(secrets));
        Files.writeString(dir.resolve("agent-callers.json"), credentials(Map.of("master", "master-s3cret",
                "admin", "admin-s3cret")));
        Files.writeString(dir.resolve("acls.json"), ACLS);
        Path tls = dir.resolve("tls");
        Cluster.CliResult certs = cluster.cli(Duration.ofSeconds(60), "certs", "--dir", tls.toString(),
                "--host", "127.0.0.1", "--host", "localhost");
        assertThat(certs.exitCode()).as("tower certs: %s", certs.stderr()).isZero();
        ca = tls.resolve("ca.pem");
        List<String> serverTls = List.of("--tls-cert", tls.resolve("server.pem").toString(),
                "--tls-key", tls.resolve("server-key.pem").toString(), "--ca-cert", ca.toString());
        admin = ClientSecurity.of("admin", null, dir.resolve("admin.secret"), null, ca)
                .client(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)));
        anonymous = ClientSecurity.of(null, null, null, null, ca)
                .client(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)));

        masterPort = Cluster.freePort();
        try {
            List<String> master = new ArrayList<>(List.of("master", "--port", "" + masterPort, "--bind", "127.0.0.1",
                    "--work-dir", dir.resolve("master").toString(), "--credentials", dir.resolve("credentials.json").toString(),
                    "--acls", dir.resolve("acls.json").toString(), "--principal", "master",
                    "--secret-file", dir.resolve("master.secret").toString()));
            master.addAll(serverTls);
            cluster.tower("master", master);
            await("master /health over HTTPS").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> send(anonymous, "/health").statusCode() == 200);
            List<String> agent = new ArrayList<>(List.of("agent", "--master", master(), "--port", "" + Cluster.freePort(),
                    "--work-dir", dir.resolve("agent").toString(), "--resources", "cpus:4;mem:4096",
                    "--credentials", dir.resolve("agent-callers.json").toString(), "--principal", "agent",
                    "--secret-file", dir.resolve("agent.secret").toString(), "--task-user", "root"));
            agent.addAll(serverTls);
            cluster.tower("agent", agent);
            await("the agent, authenticated, ACTIVE").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> send(admin, "/api/v1/agents").body().contains("\"state\":\"ACTIVE\""));
        } catch (RuntimeException | Error e) {
            cluster.printLogTails();
            throw e;
        }
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String credentials(Map<String, String> secrets) {
        List<String> entries = new ArrayList<>();
        secrets.forEach((p, s) -> entries.add("{\"principal\":\"" + p + "\",\"secret\":\"" + s + "\"}"));
        return "{\"credentials\":[" + String.join(",", entries) + "]}";
    }

    static String master() {
        return "127.0.0.1:" + masterPort;
    }

    private static HttpResponse<String> send(HttpClient http, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("https://" + master() + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<String> as(String principal, String... args) {
        List<String> out = new ArrayList<>(List.of(args));
        out.addAll(1, List.of("-m", master(), "--principal", principal, "--secret-file",
                dir.resolve(principal + ".secret").toString(), "--ca-cert", ca.toString()));
        return out;
    }

    @Test
    void towerRunWorksWithACredentialAndIsRefusedWithoutOne() {
        Cluster.CliResult ok = cluster.cli(Duration.ofSeconds(60),
                as("admin", "run", "--name", "hello", "--", "echo", "hello from a secure cluster").toArray(String[]::new));
        assertThat(ok.exitCode()).as("stdout: %s%nstderr: %s", ok.stdout(), ok.stderr()).isZero();
        assertThat(ok.stdout()).contains("hello from a secure cluster");

        Cluster.CliResult none = cluster.cli(Duration.ofSeconds(60), "run", "-m", master(), "--ca-cert", ca.toString(),
                "--", "echo", "x");
        assertThat(none.exitCode()).isNotZero();
        assertThat(none.stderr()).contains("401").contains("unauthenticated").doesNotContain("Exception")
                .doesNotContain("\tat ");

        Cluster.CliResult wrong = cluster.cli(Duration.ofSeconds(60), "agents", "-m", master(), "--principal", "admin",
                "--secret-file", dir.resolve("spark.secret").toString(), "--ca-cert", ca.toString());
        assertThat(wrong.exitCode()).isNotZero();
        assertThat(wrong.stderr()).contains("unauthenticated: unknown principal, wrong secret or unknown token");
        assertThat(send(anonymous, "/api/v1/state").statusCode()).isEqualTo(401);

        // Over TLS only: a client that does not trust the cluster's CA is refused before any credential is sent.
        Cluster.CliResult untrusting = cluster.cli(Duration.ofSeconds(60),
                as("admin", "agents").stream().filter(a -> !a.equals(ca.toString()) && !a.equals("--ca-cert"))
                        .toArray(String[]::new));
        assertThat(untrusting.exitCode()).isNotZero();
        assertThat(untrusting.stderr()).contains("TLS").doesNotContain("\tat ");
    }

    @Test
    void aPrincipalOutsideARolesAclCannotRunTasksThere() {
        Cluster.CliResult denied = cluster.cli(Duration.ofSeconds(60),
                as("spark", "run", "--role", "etl", "--", "echo", "x").toArray(String[]::new));
        assertThat(denied.exitCode()).isNotZero();
        assertThat(denied.stderr()).contains("principal 'spark' lacks permission register_frameworks in role 'etl'");

        Cluster.CliResult allowed = cluster.cli(Duration.ofSeconds(60),
                as("spark", "run", "--role", "analytics", "--", "echo", "analytics ok").toArray(String[]::new));
        assertThat(allowed.exitCode()).as("stderr: %s", allowed.stderr()).isZero();
        assertThat(allowed.stdout()).as("its output, read through the master").contains("analytics ok");

        // Denials are audited with the principal and the permission.
        JsonNode audit = Cluster.readTree(send(admin, "/api/v1/events/recent?type=audit.framework.subscribe").body());
        assertThat(audit.toString()).contains("lacks permission register_frameworks in role 'etl'")
                .contains("\"principal\":\"spark\"");
    }

    @Test
    void aTasksTokenReadsItsOwnSandboxAndNoOther() {
        Cluster.CliResult first = cluster.cli(Duration.ofSeconds(60),
                as("admin", "run", "--name", "neighbour", "--", "echo", "the neighbour's private output").toArray(String[]::new));
        assertThat(first.exitCode()).isZero();

        String read = "curl -s --cacert " + ca + " -H \"Authorization: Bearer $TOWER_TASK_TOKEN\" "
                + "\"$TOWER_AGENT_URL/files/read?path=stdout&task=";
        Cluster.CliResult r = cluster.cli(Duration.ofSeconds(60), as("admin", "run", "--name", "reader", "--", "sh", "-c",
                "echo marker-of-reader; " + read + "$TOWER_TASK_ID\"; echo; " + read + "neighbour\"; echo; "
                        + "curl -s --cacert " + ca + " \"$TOWER_AGENT_URL/files/read?path=stdout&task=neighbour\"")
                .toArray(String[]::new));
        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.stdout()).as("its own sandbox, read with its token").contains("\"data\":\"marker-of-reader\\n");
        assertThat(r.stdout()).contains("the token of task 'reader'").contains("reads only that task's sandbox")
                .contains("unauthenticated").doesNotContain("the neighbour's private output");
    }

    @Test
    void sparkRunsOverTlsWithItsCredentialFromTheEnvironment() {
        Path sparkHome = SparkOnTowerTest.SPARK_HOME;
        List<String> cmd = List.of(sparkHome.resolve("bin/spark-submit").toString(),
                "--master", "spark+tower://" + master(), "--conf", "spark.driver.host=127.0.0.1",
                "--conf", "spark.ui.enabled=false", "--conf", "spark.tower.role=analytics",
                "--executor-memory", "512m", "--driver-memory", "512m", "--total-executor-cores", "2",
                "--class", "dev.tower.spark.examples.Pi", SparkOnTowerTest.EXAMPLES.toString(), "4");
        TowerProcess driver = cluster.spawnCommand("spark-secure", cmd, Map.of("SPARK_HOME", sparkHome.toString(),
                "TOWER_PRINCIPAL", "spark", "TOWER_SECRET_FILE", dir.resolve("spark.secret").toString(),
                "TOWER_CA_CERT", ca.toString()));
        assertThat(driver.awaitExit(JOB_TIMEOUT)).as("spark-submit exit code\n%s", driver.tail(40)).isZero();
        assertThat(driver.out()).contains("Pi is roughly 3.14");
    }

    @Test
    void theWebUiLogsInWithAPrincipalsCredentials() {
        Browser.assumeInstalled();
        // The test's browser does not know the cluster's CA; certificate checks are the clients' tests' business.
        try (Browser browser = Browser.start("--ignore-certificate-errors")) {
            // Without a credential the master answers the page with its Basic challenge (the browser's login dialog).
            HttpResponse<String> page = send(anonymous, "/");
            assertThat(page.statusCode()).isEqualTo(401);
            assertThat(page.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
            // Logged in, a browser sends the principal and secret with every request of the page: its API calls and
            // its events stream.
            browser.driver().executeCdpCommand("Network.enable", Map.of());
            browser.driver().executeCdpCommand("Network.setExtraHTTPHeaders", Map.of("headers", Map.of("Authorization",
                    Credential.basic("admin", "admin-s3cret").authorization())));
            browser.open(URI.create("https://" + master() + "/"));
            await("the overview, read with the credential").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .untilAsserted(() -> assertThat(browser.text("#agents-active")).isEqualTo("1"));
            browser.screenshot("secure-overview");
        }
    }
}
