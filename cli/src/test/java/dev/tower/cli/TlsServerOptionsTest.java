package dev.tower.cli;

import dev.tower.cli.certs.CertificateIssuer;
import dev.tower.manager.MasterOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code --tls-*} on {@code tower master} and {@code tower agent}. */
class TlsServerOptionsTest {
    @TempDir
    static Path dir;

    static Path cert;
    static Path key;
    static Path p12;
    static Path p12Password;

    @BeforeAll
    static void certificates() throws Exception {
        CertificateIssuer issuer = new CertificateIssuer(CertificateIssuer.KeyType.EC);
        CertificateIssuer.Issued ca = issuer.ca("Test CA", Duration.ofDays(1));
        CertificateIssuer.Issued server = issuer.server(ca, List.of("localhost"), Duration.ofDays(1));
        cert = Files.writeString(dir.resolve("server.pem"), server.certificatePem());
        key = Files.writeString(dir.resolve("server-key.pem"), server.keyPem());
        p12 = Files.write(dir.resolve("server.p12"), CertificateIssuer.pkcs12(server, ca.certificate(), "pw".toCharArray()));
        p12Password = Files.writeString(dir.resolve("pw"), "pw\n");
    }

    private static MasterCommand master(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "master";
        System.arraycopy(args, 0, all, 1, args.length);
        CommandLine.ParseResult r = TowerCli.commandLine().parseArgs(all);
        return (MasterCommand) r.subcommand().commandSpec().userObject();
    }

    @Test
    void withoutTlsFlagsTheMasterSpeaksPlainHttp() {
        assertThat(master().options().security().tls()).isNull();
        assertThat(master().options().security().scheme()).isEqualTo("http");
    }

    @Test
    void pemFlagsGiveTheMasterItsTlsContext() {
        MasterOptions o = master("--tls-cert", cert.toString(), "--tls-key", key.toString()).options();

        assertThat(o.security().tls()).isNotNull();
        assertThat(o.security().scheme()).isEqualTo("https");
        assertThat(o.security().principals()).isNull();
    }

    @Test
    void aKeystoreWithItsPasswordFromAFileOrTheEnvironment() {
        assertThat(master("--tls-keystore", p12.toString(), "--tls-keystore-password-file", p12Password.toString())
                .options().security().tls()).isNotNull();

        MasterCommand fromEnv = master("--tls-keystore", p12.toString());
        fromEnv.tls.env = Map.of(TlsServerOptions.ENV_KEYSTORE_PASSWORD, "pw");
        assertThat(fromEnv.options().security().tls()).isNotNull();

        MasterCommand wrong = master("--tls-keystore", p12.toString());
        wrong.tls.env = Map.of(TlsServerOptions.ENV_KEYSTORE_PASSWORD, "nope");
        assertThatThrownBy(wrong::options).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--tls-keystore: keystore " + p12 + ": wrong password");
    }

    @Test
    void flagsThatDoNotGoTogetherAreUsageErrors() {
        MasterCommand noPassword = master("--tls-keystore", p12.toString());
        noPassword.tls.env = Map.of();
        assertThatThrownBy(noPassword::options).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessage("--tls-keystore: needs its password in --tls-keystore-password-file or $TOWER_TLS_KEYSTORE_PASSWORD");
        assertThatThrownBy(() -> master("--tls-cert", cert.toString()).options())
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessage("--tls-cert: needs --tls-key, the certificate's private key");
        assertThatThrownBy(() -> master("--tls-key", key.toString()).options())
                .hasMessage("--tls-key: goes with --tls-cert, which is missing");
        assertThatThrownBy(() -> master("--tls-keystore", p12.toString(), "--tls-cert", cert.toString(),
                "--tls-key", key.toString()).options())
                .hasMessage("--tls-keystore: give either it or --tls-cert with --tls-key, not both");
    }

    @Test
    void aFileThatCannotBeUsedIsNamedWithItsFlag() {
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> master("--tls-cert", missing.toString(), "--tls-key", key.toString()).options())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--tls-cert: certificate file " + missing + ": no such file");
        assertThatThrownBy(() -> master("--tls-cert", cert.toString(), "--tls-key", cert.toString()).options())
                .hasMessage("--tls-key: private key file " + cert
                        + ": no PEM private key in it (expected -----BEGIN PRIVATE KEY-----)");
    }

    @Test
    void theMasterCommandPrintsABadKeyInOneLine() {
        java.io.StringWriter err = new java.io.StringWriter();
        CommandLine cl = TowerCli.commandLine();
        cl.setErr(new java.io.PrintWriter(err));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("tower: " + TowerCli.explain(e));
            return 1;
        });

        int code = cl.execute("master", "--port", "0", "--work-dir", dir.resolve("w").toString(),
                "--tls-cert", cert.toString(), "--tls-key", dir.resolve("nope.pem").toString());

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("tower: --tls-key: private key file " + dir.resolve("nope.pem")
                + ": no such file" + System.lineSeparator());
    }

    @Test
    void theAgentCommandTakesTheSameFlags() {
        CommandLine.ParseResult r = TowerCli.commandLine().parseArgs("agent", "--master", "127.0.0.1:5050",
                "--tls-cert", cert.toString(), "--tls-key", key.toString());
        AgentCommand agent = (AgentCommand) r.subcommand().commandSpec().userObject();

        assertThat(agent.tls.keys().certificate().getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
    }
}
