package dev.tower.api.security;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * How a client of Tower's HTTP APIs (scheduler client, CLI, agent, Spark backend, YARN bridge, a master reading
 * agents' sandboxes) authenticates and which servers it trusts. {@link #NONE}: no credential, plain HTTP.
 * <p>
 * {@link #client(HttpClient.Builder)} is the one place a client gets its {@link HttpClient}: the credential is then
 * sent with every request, and with TLS every request goes over {@code https} whatever URI the caller built.
 *
 * @param credential sent as {@code Authorization} on every request; null for none
 * @param sslContext trusts the cluster's CA; null for plain HTTP
 */
public record ClientSecurity(Credential credential, SSLContext sslContext) {
    public static final ClientSecurity NONE = new ClientSecurity(null, null);

    public static final String ENV_PRINCIPAL = "TOWER_PRINCIPAL";
    public static final String ENV_SECRET = "TOWER_SECRET";
    public static final String ENV_SECRET_FILE = "TOWER_SECRET_FILE";
    public static final String ENV_TOKEN = "TOWER_TOKEN";
    public static final String ENV_CA_CERT = "TOWER_CA_CERT";

    public boolean tls() {
        return sslContext != null;
    }

    public String scheme() {
        return tls() ? "https" : "http";
    }

    public Optional<Credential> credentialIfAny() {
        return Optional.ofNullable(credential);
    }

    public ClientSecurity withCredential(Credential c) {
        return new ClientSecurity(c, sslContext);
    }

    public ClientSecurity withSslContext(SSLContext ctx) {
        return new ClientSecurity(credential, ctx);
    }

    /** Builds the client: the builder's settings plus this trust; the credential and scheme on every request. */
    public HttpClient client(HttpClient.Builder builder) {
        if (sslContext != null) {
            builder.sslContext(sslContext);
        }
        HttpClient built = builder.build();
        return credential == null && sslContext == null ? built
                : new SecureHttpClient(built, credential == null ? null : credential.authorization(), tls());
    }

    /**
     * From the environment, as every Tower client reads it when not told otherwise: {@value #ENV_PRINCIPAL} with
     * {@value #ENV_SECRET} or {@value #ENV_SECRET_FILE} (Basic), or {@value #ENV_TOKEN} (Bearer); {@value #ENV_CA_CERT}
     * (a PEM file) turns TLS on.
     *
     * @throws IllegalArgumentException naming the variable that is wrong
     */
    public static ClientSecurity fromEnvironment(Map<String, String> env) {
        return of(env.get(ENV_PRINCIPAL), env.get(ENV_SECRET), pathOrNull(env.get(ENV_SECRET_FILE)),
                env.get(ENV_TOKEN), pathOrNull(env.get(ENV_CA_CERT)));
    }

    /**
     * From flags, each falling back to its variable: {@code principal} ({@value #ENV_PRINCIPAL}), {@code secretFile}
     * ({@value #ENV_SECRET_FILE}, or {@value #ENV_SECRET} when neither names a file), {@code caCert}
     * ({@value #ENV_CA_CERT}); {@value #ENV_TOKEN} when no principal is named.
     */
    public static ClientSecurity fromFlags(String principal, Path secretFile, Path caCert, Map<String, String> env) {
        String p = principal != null ? principal : env.get(ENV_PRINCIPAL);
        Path file = secretFile != null ? secretFile : pathOrNull(env.get(ENV_SECRET_FILE));
        String secret = file != null ? null : env.get(ENV_SECRET);
        Path ca = caCert != null ? caCert : pathOrNull(env.get(ENV_CA_CERT));
        return of(p, secret, file, env.get(ENV_TOKEN), ca);
    }

    /** From the running process's environment. */
    public static ClientSecurity fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /**
     * From settings as flags and configuration give them (null or blank = not given).
     *
     * @throws IllegalArgumentException naming what is missing or unreadable
     */
    public static ClientSecurity of(String principal, String secret, Path secretFile, String token, Path caCert) {
        Credential c = null;
        if (blank(principal)) {
            if (!blank(secret) || secretFile != null) {
                throw new IllegalArgumentException("a secret was given without a principal (set " + ENV_PRINCIPAL
                        + " or --principal)");
            }
            if (!blank(token)) {
                c = Credential.bearer(token.trim());
            }
        } else {
            String s = !blank(secret) ? secret : secretFile != null ? readSecret(secretFile) : null;
            if (blank(s)) {
                throw new IllegalArgumentException("principal '" + principal + "' has no secret (set " + ENV_SECRET
                        + " or " + ENV_SECRET_FILE + ", or --secret-file)");
            }
            c = Credential.basic(principal.trim(), s);
        }
        SSLContext ctx = caCert == null ? null : TrustedCertificates.sslContext(caCert);
        return new ClientSecurity(c, ctx);
    }

    /** A secret file holds the secret, trailing newline or not. */
    public static String readSecret(Path file) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (s.isEmpty()) {
                throw new IllegalArgumentException("secret file " + file + " is empty");
            }
            return s;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read secret file " + file + ": " + e.getMessage(), e);
        }
    }

    private static Path pathOrNull(String s) {
        return blank(s) ? null : Path.of(s.trim());
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    @Override
    public String toString() {
        return "ClientSecurity[" + (credential == null ? "no credential" : credential.describe())
                + (tls() ? ", TLS" : "") + "]";
    }
}
