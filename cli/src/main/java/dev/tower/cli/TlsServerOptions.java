package dev.tower.cli;

import dev.tower.api.security.ServerKeys;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The certificate and key a master or agent serves HTTPS with: {@code --tls-cert} and {@code --tls-key} (PEM), or
 * {@code --tls-keystore} (PKCS#12) with its password from {@code --tls-keystore-password-file} or
 * {@value #ENV_KEYSTORE_PASSWORD}. Without any of them the server speaks plain HTTP.
 */
public final class TlsServerOptions {
    public static final String ENV_KEYSTORE_PASSWORD = "TOWER_TLS_KEYSTORE_PASSWORD";

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--tls-cert", paramLabel = "PEM",
            description = "Serve HTTPS only, with this certificate (PEM; the server's first, then any intermediate "
                    + "CAs). Needs --tls-key. `tower certs` makes one for a test cluster.")
    Path cert;

    @Option(names = "--tls-key", paramLabel = "PEM",
            description = "The private key of --tls-cert (PEM, unencrypted: PKCS#8, or PKCS#1 RSA, or SEC1 EC).")
    Path key;

    @Option(names = "--tls-keystore", paramLabel = "P12",
            description = "Serve HTTPS only, with the key and certificate chain in this PKCS#12 keystore (instead of "
                    + "--tls-cert/--tls-key); its password from --tls-keystore-password-file or $"
                    + ENV_KEYSTORE_PASSWORD + ".")
    Path keystore;

    @Option(names = "--tls-keystore-password-file", paramLabel = "FILE",
            description = "File holding the password of --tls-keystore (a trailing newline is ignored).")
    Path keystorePasswordFile;

    /** Read for the keystore password; replaced in tests. */
    Map<String, String> env = System.getenv();

    /** Whether any TLS flag was given. */
    public boolean given() {
        return cert != null || key != null || keystore != null || keystorePasswordFile != null;
    }

    /**
     * The server's keys, or null for plain HTTP.
     *
     * @throws CommandLine.ParameterException flags that do not go together (a usage error)
     * @throws IllegalArgumentException a file that cannot be used, named with its flag
     */
    public ServerKeys keys() {
        if (!given()) {
            return null;
        }
        if (keystore != null) {
            if (cert != null || key != null) {
                throw usage("--tls-keystore: give either it or --tls-cert with --tls-key, not both");
            }
            char[] password = password();
            try {
                return ServerKeys.pkcs12(keystore, password);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--tls-keystore: " + e.getMessage(), e);
            } finally {
                java.util.Arrays.fill(password, '\0');
            }
        }
        if (keystorePasswordFile != null) {
            throw usage("--tls-keystore-password-file: goes with --tls-keystore, which is missing");
        }
        if (cert == null) {
            throw usage("--tls-key: goes with --tls-cert, which is missing");
        }
        if (key == null) {
            throw usage("--tls-cert: needs --tls-key, the certificate's private key");
        }
        try {
            return ServerKeys.pem(cert, key);
        } catch (IllegalArgumentException e) {
            String flag = e.getMessage().startsWith("private key file") ? "--tls-key: " : "--tls-cert: ";
            throw new IllegalArgumentException(flag + e.getMessage(), e);
        }
    }

    private char[] password() {
        if (keystorePasswordFile != null) {
            try {
                String s = Files.readString(keystorePasswordFile, StandardCharsets.UTF_8);
                return stripNewline(s).toCharArray();
            } catch (IOException e) {
                throw new IllegalArgumentException("--tls-keystore-password-file: cannot read "
                        + keystorePasswordFile + ": " + e.getMessage(), e);
            }
        }
        String s = env.get(ENV_KEYSTORE_PASSWORD);
        if (s == null) {
            throw usage("--tls-keystore: needs its password in --tls-keystore-password-file or $" + ENV_KEYSTORE_PASSWORD);
        }
        return s.toCharArray();
    }

    private static String stripNewline(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '\n' || s.charAt(end - 1) == '\r')) {
            end--;
        }
        return s.substring(0, end);
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
