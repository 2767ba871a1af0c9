package dev.tower.cli.cluster;

import dev.tower.api.model.Resources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code tower up --auth --tls}: masters and agents over HTTPS with credentials, and {@code tower} commands on it. */
class LocalClusterTlsTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    @Test
    void agentsSubscribeOverHttpsAndTowerRunShowsItsTasksOutput() throws Exception {
        LocalSecurity security = LocalSecurity.create(dir, null);
        LocalTls tls = LocalTls.create(dir);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("tls/server-key.pem"))))
                .isEqualTo("rw-------");

        try (LocalCluster cluster = LocalCluster.start(dir, 0, 1, 0, 1, Resources.cpusMem(1, 256), Map.of(),
                (m, d) -> { }, security, tls)) {
            assertThat(cluster.awaitAgents(Duration.ofSeconds(30))).isTrue();
            assertThat(cluster.masterUrl()).isEqualTo("https://" + cluster.master().address());
            List<String> as = List.of("--master", cluster.masterUrl(), "--ca-cert", tls.caFile().toString(),
                    "--principal", LocalSecurity.ADMIN, "--secret-file", security.secretFile(LocalSecurity.ADMIN).toString());

            Run agents = tower("agents", as);
            assertThat(agents.code()).isZero();
            assertThat(agents.out()).as(agents.err()).contains("ACTIVE");

            // The task's output comes from the agent's sandbox through the master: both hops over HTTPS.
            Run run = tower("run", as, "--cpus", "0.1", "--mem", "32", "--", "echo", "hello over TLS");
            assertThat(run.code()).isZero();
            assertThat(run.out()).contains("hello over TLS");

            Run untrusting = tower("agents", List.of("--master", cluster.masterUrl(), "--principal", LocalSecurity.ADMIN,
                    "--secret-file", security.secretFile(LocalSecurity.ADMIN).toString()));
            assertThat(untrusting.code()).isEqualTo(1);
            assertThat(untrusting.err()).contains("TLS: the server's certificate is not signed by a CA this client trusts");
        }
    }

    @Test
    void aWorkDirUsedBeforeKeepsItsCa() throws Exception {
        LocalTls first = LocalTls.create(dir);
        String ca = Files.readString(first.caFile());

        LocalTls again = LocalTls.create(dir);

        assertThat(Files.readString(again.caFile())).isEqualTo(ca);
        assertThat(again.exports()).isEqualTo("export TOWER_CA_CERT=" + dir.resolve("tls/ca.pem"));
    }

    /** {@code tower COMMAND FLAGS ARGS}, with what it prints (tower run writes its task's output to System.out). */
    private static Run tower(String command, List<String> flags, String... args) {
        List<String> all = new ArrayList<>();
        all.add(command);
        all.addAll(flags);
        all.addAll(List.of(args));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            // Made once System.out and System.err are replaced: its writers are theirs.
            CommandLine cl = new CommandLine(new dev.tower.cli.TowerCli());
            cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
                cmd.getErr().println("tower: " + e.getMessage());
                return 1;
            });
            code = cl.execute(all.toArray(String[]::new));
            cl.getOut().flush();
            cl.getErr().flush();
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
