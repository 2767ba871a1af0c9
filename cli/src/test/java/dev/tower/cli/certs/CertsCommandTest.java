package dev.tower.cli.certs;

import dev.tower.api.security.ServerKeys;
import dev.tower.api.security.TrustedCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CertsCommandTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    /** {@code tower certs ARGS} as a user runs it. */
    static Run certs(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "certs";
        System.arraycopy(args, 0, all, 1, args.length);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new dev.tower.cli.TowerCli());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("tower: " + e.getMessage());
            return 1;
        });
        int code = cl.execute(all);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void writesACaAndAServerCertificateItSignedForTheHosts() throws Exception {
        Path dir = tmp.resolve("certs");

        Run r = certs("--dir", dir.toString(), "--host", "localhost", "--host", "127.0.0.1", "--host", "node1.example");

        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Wrote " + dir.resolve("ca.pem"), "Wrote " + dir.resolve("ca-key.pem"),
                "Wrote " + dir.resolve("server.pem") + ": a certificate for localhost, 127.0.0.1, node1.example, valid until",
                "Wrote " + dir.resolve("server-key.pem"),
                "tower master --tls-cert " + dir.toAbsolutePath().resolve("server.pem") + " --tls-key "
                        + dir.toAbsolutePath().resolve("server-key.pem"),
                "export TOWER_CA_CERT=" + dir.toAbsolutePath().resolve("ca.pem"));
        assertThat(mode(dir.resolve("ca-key.pem"))).isEqualTo("rw-------");
        assertThat(mode(dir.resolve("server-key.pem"))).isEqualTo("rw-------");
        assertThat(mode(dir.resolve("ca.pem"))).isEqualTo("rw-r--r--");
        assertThat(mode(dir.resolve("server.pem"))).isEqualTo("rw-r--r--");

        X509Certificate ca = ServerKeys.readCertificates(dir.resolve("ca.pem")).get(0);
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        ServerKeys server = ServerKeys.pem(dir.resolve("server.pem"), dir.resolve("server-key.pem"));
        server.certificate().verify(ca.getPublicKey());
        assertThat(server.certificate().getBasicConstraints()).isEqualTo(-1);
        assertThat(sans(server.certificate())).containsExactly("localhost", "127.0.0.1", "node1.example");
        assertThat(server.chain()).hasSize(2);
        TrustedCertificates.sslContext(dir.resolve("ca.pem")); // clients can load it
    }

    @Test
    void refusesToOverwriteUnlessForced() throws Exception {
        Path dir = tmp.resolve("certs");
        assertThat(certs("--dir", dir.toString()).code()).isZero();
        String ca = Files.readString(dir.resolve("ca.pem"));
        String server = Files.readString(dir.resolve("server.pem"));

        Run again = certs("--dir", dir.toString());

        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).isEqualTo("tower: not overwriting " + dir.resolve("server.pem") + ", "
                + dir.resolve("server-key.pem") + " (use --force to replace them and the CA, or --name for another "
                + "server certificate)" + System.lineSeparator());
        assertThat(Files.readString(dir.resolve("server.pem"))).isEqualTo(server);

        Run forced = certs("--dir", dir.toString(), "--force");

        assertThat(forced.code()).isZero();
        assertThat(Files.readString(dir.resolve("ca.pem"))).isNotEqualTo(ca);
        assertThat(Files.readString(dir.resolve("server.pem"))).isNotEqualTo(server);
        assertThat(mode(dir.resolve("server-key.pem"))).isEqualTo("rw-------");
    }

    @Test
    void anotherServerCertificateIsSignedByTheCaAlreadyThere() throws Exception {
        Path dir = tmp.resolve("certs");
        assertThat(certs("--dir", dir.toString()).code()).isZero();
        String ca = Files.readString(dir.resolve("ca.pem"));

        Run r = certs("--dir", dir.toString(), "--name", "node2", "--host", "node2.example", "--key-type", "RSA");

        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("Using the CA in " + dir.resolve("ca.pem"));
        assertThat(Files.readString(dir.resolve("ca.pem"))).isEqualTo(ca);
        ServerKeys node2 = ServerKeys.pem(dir.resolve("node2.pem"), dir.resolve("node2-key.pem"));
        node2.certificate().verify(ServerKeys.readCertificates(dir.resolve("ca.pem")).get(0).getPublicKey());
        assertThat(node2.certificate().getPublicKey().getAlgorithm()).isEqualTo("RSA");
        assertThat(sans(node2.certificate())).containsExactly("node2.example");
    }

    @Test
    void pkcs12KeystoreWithItsPasswordFile() throws Exception {
        Path dir = tmp.resolve("certs");

        Run r = certs("--dir", dir.toString(), "--pkcs12");

        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("--tls-keystore " + dir.toAbsolutePath().resolve("server.p12"));
        assertThat(mode(dir.resolve("server.p12"))).isEqualTo("rw-------");
        assertThat(mode(dir.resolve("server.p12.password"))).isEqualTo("rw-------");
        String password = Files.readString(dir.resolve("server.p12.password")).strip();
        ServerKeys keys = ServerKeys.pkcs12(dir.resolve("server.p12"), password.toCharArray());
        assertThat(keys.chain()).hasSize(2);
        assertThat(sans(keys.certificate())).contains("localhost", "127.0.0.1");
    }

    @Test
    void aBadHostIsAUsageErrorAndNothingIsWritten() {
        Path dir = tmp.resolve("certs");

        Run r = certs("--dir", dir.toString(), "--host", "not a host");

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("tower: --host: 'not a host' is neither a host name nor an IP address");
        assertThat(dir).doesNotExist();
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static List<String> sans(X509Certificate c) throws Exception {
        List<String> out = new ArrayList<>();
        Collection<List<?>> names = c.getSubjectAlternativeNames();
        for (List<?> n : names) {
            out.add(String.valueOf(n.get(1)));
        }
        return out;
    }
}
