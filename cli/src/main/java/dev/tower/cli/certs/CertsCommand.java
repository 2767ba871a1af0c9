package dev.tower.cli.certs;

import dev.tower.api.security.ClientSecurity;
import dev.tower.api.security.ServerKeys;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code tower certs}: a CA and a server certificate for a test cluster's TLS. */
@Command(name = "certs", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate a self-signed CA and a server certificate it signs, for TLS on a test cluster's "
                + "masters and agents.",
                "Writes into DIR: ca.pem (the CA clients trust), ca-key.pem (the CA's key), NAME.pem and NAME-key.pem "
                        + "(the server's certificate and key; keys are written with mode 600), and with --pkcs12 "
                        + "NAME.p12 with its password in NAME.p12.password.",
                "When DIR already holds ca.pem and ca-key.pem, the server certificate is signed by that CA: run it "
                        + "again with another --name and --host for each machine of the cluster. Existing files are "
                        + "never overwritten without --force (which makes a new CA too).",
                "For production, use certificates from your organisation's CA instead."})
public final class CertsCommand implements Callable<Integer> {
    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-d", "--dir"}, paramLabel = "DIR", defaultValue = "./tower-certs",
            description = "Directory to write into, made if missing (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--host", paramLabel = "HOST",
            description = "A host name or IP address the servers are reached at, as clients write it in the master "
                    + "URL or agents advertise it (repeatable; default: localhost, 127.0.0.1 and this machine's "
                    + "host name).")
    List<String> hosts = new ArrayList<>();

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "server",
            description = "File name of the server certificate, without .pem (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--days", paramLabel = "N", defaultValue = "365",
            description = "Days the server certificate is valid (default: ${DEFAULT-VALUE}; a new CA is valid "
                    + "10 years).")
    int days;

    @Option(names = "--key-type", paramLabel = "EC|RSA", defaultValue = "EC",
            description = "Key algorithm: EC (P-256) or RSA (2048 bits) (default: ${DEFAULT-VALUE}).")
    CertificateIssuer.KeyType keyType;

    @Option(names = "--pkcs12", description = "Also write the server's key and certificate as a PKCS#12 keystore, "
            + "NAME.p12, with a random password in NAME.p12.password.")
    boolean pkcs12;

    @Option(names = "--force", description = "Overwrite existing files, the CA's included (its old certificates are "
            + "then no longer trusted by clients given the new ca.pem).")
    boolean force;

    @Override
    public Integer call() {
        if (days < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--days: must be 1 or more, got " + days);
        }
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*") || name.equals("ca")) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--name: '" + name + "' must be a plain file name (letters, digits, . _ -), not 'ca'");
        }
        List<String> names = hosts.isEmpty() ? defaultHosts() : List.copyOf(new LinkedHashSet<>(hosts));
        names.forEach(CertificateIssuer::generalName); // a bad --host is reported before anything is written

        Path caPem = dir.resolve("ca.pem");
        Path caKey = dir.resolve("ca-key.pem");
        boolean reuseCa = !force && Files.exists(caPem) && Files.exists(caKey);
        if (!force && Files.exists(caPem) != Files.exists(caKey)) {
            throw new IllegalArgumentException((Files.exists(caPem) ? caKey : caPem) + " is missing beside "
                    + (Files.exists(caPem) ? caPem : caKey) + "; restore it, or use --force to make a new CA");
        }
        Path serverPem = dir.resolve(name + ".pem");
        Path serverKey = dir.resolve(name + "-key.pem");
        Path p12 = dir.resolve(name + ".p12");
        Path p12Password = dir.resolve(name + ".p12.password");
        List<Path> targets = new ArrayList<>(List.of(serverPem, serverKey));
        if (pkcs12) {
            targets.addAll(List.of(p12, p12Password));
        }
        if (!force) {
            List<String> existing = targets.stream().filter(Files::exists).map(Path::toString).toList();
            if (!existing.isEmpty()) {
                throw new IllegalArgumentException("not overwriting " + String.join(", ", existing)
                        + " (use --force to replace them and the CA, or --name for another server certificate)");
            }
        }

        CertificateIssuer issuer = new CertificateIssuer(keyType);
        CertificateIssuer.Issued ca = reuseCa ? readCa(caPem, caKey)
                : issuer.ca("Tower test CA " + hostName().orElse("") + " " + Long.toHexString(System.currentTimeMillis()),
                CA_VALIDITY);
        CertificateIssuer.Issued server = issuer.server(ca, names, Duration.ofDays(days));

        Map<Path, byte[]> files = new LinkedHashMap<>();
        if (!reuseCa) {
            files.put(caPem, ca.certificatePem().getBytes(StandardCharsets.US_ASCII));
            files.put(caKey, ca.keyPem().getBytes(StandardCharsets.US_ASCII));
        }
        files.put(serverPem, (server.certificatePem() + ca.certificatePem()).getBytes(StandardCharsets.US_ASCII));
        files.put(serverKey, server.keyPem().getBytes(StandardCharsets.US_ASCII));
        String password = null;
        if (pkcs12) {
            byte[] secret = new byte[18];
            new SecureRandom().nextBytes(secret);
            password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
            files.put(p12, CertificateIssuer.pkcs12(server, ca.certificate(), password.toCharArray()));
            files.put(p12Password, (password + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        try {
            Files.createDirectories(dir);
            for (Map.Entry<Path, byte[]> f : files.entrySet()) {
                Path p = f.getKey();
                boolean secret = p.equals(caKey) || p.equals(serverKey) || p.equals(p12) || p.equals(p12Password);
                write(p, f.getValue(), secret ? PRIVATE : PUBLIC);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write into " + dir + ": " + e.getMessage(), e);
        }

        PrintWriter out = spec.commandLine().getOut();
        Path abs = dir.toAbsolutePath().normalize();
        if (reuseCa) {
            out.println("Using the CA in " + caPem + " (" + ca.certificate().getSubjectX500Principal().getName() + ")");
        } else {
            out.println("Wrote " + caPem + ": the CA's certificate (clients trust it), valid until "
                    + ca.certificate().getNotAfter().toInstant());
            out.println("Wrote " + caKey + ": the CA's key, mode 600 (keep it private: it signs what clients trust)");
        }
        out.println("Wrote " + serverPem + ": a certificate for " + String.join(", ", names) + ", valid until "
                + server.certificate().getNotAfter().toInstant());
        out.println("Wrote " + serverKey + ": its key, mode 600");
        if (pkcs12) {
            out.println("Wrote " + p12 + " and " + p12Password + ": the same as a PKCS#12 keystore and its password, mode 600");
        }
        out.println();
        out.println("Serve HTTPS with them (masters and agents alike):");
        out.println("  tower master --tls-cert " + abs.resolve(serverPem.getFileName()) + " --tls-key "
                + abs.resolve(serverKey.getFileName()) + " ...");
        out.println("  tower agent  --tls-cert " + abs.resolve(serverPem.getFileName()) + " --tls-key "
                + abs.resolve(serverKey.getFileName()) + " ...");
        if (pkcs12) {
            out.println("  or: --tls-keystore " + abs.resolve(p12.getFileName()) + " --tls-keystore-password-file "
                    + abs.resolve(p12Password.getFileName()));
        }
        out.println("Trust the CA in every client (CLI, agents, Spark, YARN bridge):");
        out.println("  export " + ClientSecurity.ENV_CA_CERT + "=" + abs.resolve("ca.pem")
                + "    (or --ca-cert; Spark: --conf spark.tower.caCert=" + abs.resolve("ca.pem") + ")");
        out.flush();
        return 0;
    }

    private static CertificateIssuer.Issued readCa(Path caPem, Path caKey) {
        List<X509Certificate> certs = ServerKeys.readCertificates(caPem);
        PrivateKey key = ServerKeys.readPrivateKey(caKey);
        X509Certificate ca = certs.get(0);
        if (ca.getBasicConstraints() < 0) {
            throw new IllegalArgumentException(caPem + ": " + ca.getSubjectX500Principal().getName()
                    + " is not a CA certificate (no basicConstraints CA)");
        }
        return new CertificateIssuer.Issued(ca, key);
    }

    private void write(Path file, byte[] content, Set<PosixFilePermission> mode) throws IOException {
        if (force) {
            Files.deleteIfExists(file);
        }
        try {
            if (Files.getFileStore(file.getParent()).supportsFileAttributeView("posix")) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(mode));
                Files.setPosixFilePermissions(file, mode); // the umask may have taken some away
            } else {
                Files.createFile(file);
            }
        } catch (FileAlreadyExistsException e) {
            throw new IllegalArgumentException("not overwriting " + file + " (use --force)", e);
        }
        Files.write(file, content);
    }

    static List<String> defaultHosts() {
        Set<String> h = new LinkedHashSet<>(List.of("localhost", "127.0.0.1"));
        hostName().ifPresent(h::add);
        return List.copyOf(h);
    }

    private static java.util.Optional<String> hostName() {
        try {
            String n = InetAddress.getLocalHost().getHostName();
            return n == null || n.isBlank() || !n.matches("[A-Za-z0-9.-]+") ? java.util.Optional.empty()
                    : java.util.Optional.of(n);
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }
}
