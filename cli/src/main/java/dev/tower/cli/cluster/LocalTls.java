package dev.tower.cli.cluster;

import dev.tower.agent.security.AgentSecurity;
import dev.tower.api.security.ClientSecurity;
import dev.tower.api.security.ServerKeys;
import dev.tower.api.security.TrustedCertificates;
import dev.tower.cli.certs.CertificateIssuer;
import dev.tower.manager.security.MasterSecurity;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

/**
 * TLS for a cluster on one machine ({@code tower up --tls}): a CA and a server certificate for {@code localhost} and
 * {@code 127.0.0.1}, made once in {@code <work dir>/tls/} (keys readable by the owner only) and read again on a work
 * dir used before. Every master and agent serves HTTPS with it and trusts the CA as a client.
 */
public final class LocalTls {
    static final Duration VALIDITY = Duration.ofDays(365);

    private final Path dir;
    private final ServerKeys keys;
    private final SSLContext trust;

    private LocalTls(Path dir, ServerKeys keys, SSLContext trust) {
        this.dir = dir;
        this.keys = keys;
        this.trust = trust;
    }

    public static LocalTls create(Path workDir) {
        Path dir = workDir.resolve("tls");
        Path ca = dir.resolve("ca.pem");
        Path cert = dir.resolve("server.pem");
        Path key = dir.resolve("server-key.pem");
        try {
            if (!Files.exists(ca) || !Files.exists(cert) || !Files.exists(key)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                CertificateIssuer issuer = new CertificateIssuer(CertificateIssuer.KeyType.EC);
                CertificateIssuer.Issued authority = issuer.ca("Tower local CA " + Long.toHexString(System.currentTimeMillis()),
                        VALIDITY);
                CertificateIssuer.Issued server = issuer.server(authority, List.of("localhost", "127.0.0.1"), VALIDITY);
                write(dir.resolve("ca-key.pem"), authority.keyPem(), true);
                write(key, server.keyPem(), true);
                write(cert, server.certificatePem() + authority.certificatePem(), false);
                write(ca, authority.certificatePem(), false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the cluster's certificates in " + dir + ": " + e.getMessage(), e);
        }
        return new LocalTls(dir, ServerKeys.pem(cert, key), TrustedCertificates.sslContext(ca));
    }

    private static void write(Path file, String text, boolean secret) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                secret ? "rw-------" : "rw-r--r--")));
        Files.writeString(file, text, StandardCharsets.US_ASCII);
    }

    /** The CA every client of the cluster trusts. */
    public Path caFile() {
        return dir.resolve("ca.pem");
    }

    /** {@code security} serving HTTPS, and calling agents over it. */
    public MasterSecurity master(MasterSecurity security) {
        return new MasterSecurity(security.principals(), security.acls(), keys.sslContext(),
                security.asClient().withSslContext(trust), security.schedulerRateLimit());
    }

    /** {@code security} serving HTTPS, and calling masters over it. */
    public AgentSecurity agent(AgentSecurity security) {
        return new AgentSecurity(security.principals(), security.asClient().withSslContext(trust), keys.sslContext());
    }

    /** {@code client} trusting the cluster's CA. */
    public ClientSecurity client(ClientSecurity client) {
        return client.withSslContext(trust);
    }

    /** The shell line that lets {@code tower}, Spark and other clients in that shell trust the cluster. */
    public String exports() {
        return "export " + ClientSecurity.ENV_CA_CERT + "=" + caFile();
    }
}
