package dev.tower.api.security;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Optional;

/**
 * What a failed TLS connection means for a user, in one line: the JDK's own messages name certification paths and
 * handshake internals, not what to fix.
 */
public final class TlsErrors {
    /** Every explanation starts with this, so that callers can tell a TLS failure from others in a message. */
    public static final String PREFIX = "TLS: ";

    private TlsErrors() {
    }

    /** The explanation if {@code e} (or a cause) is a TLS failure, else empty. */
    public static Optional<String> explain(Throwable e) {
        SSLException ssl = null;
        boolean untrusted = false;
        boolean expired = false;
        for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof SSLException s && ssl == null) {
                ssl = s;
            }
            untrusted |= t instanceof CertPathBuilderException;
            expired |= t instanceof CertificateExpiredException || t instanceof CertificateNotYetValidException
                    || t instanceof CertPathValidatorException v
                    && v.getReason() == CertPathValidatorException.BasicReason.EXPIRED;
        }
        if (ssl == null) {
            return plainHttpToTls(e);
        }
        String m = ssl.getMessage() == null ? "" : ssl.getMessage();
        if (untrusted || m.contains("PKIX path building failed")) {
            return Optional.of(PREFIX + "the server's certificate is not signed by a CA this client trusts "
                    + "(unable to find a valid certification path to it); give the cluster's CA with --ca-cert or "
                    + ClientSecurity.ENV_CA_CERT);
        }
        if (expired || m.contains("validity check failed")) {
            return Optional.of(PREFIX + "the server's certificate has expired or is not valid yet (" + m + ")");
        }
        if (m.contains("No subject alternative") || m.contains("No name matching")) {
            return Optional.of(PREFIX + "the server's certificate is not for the address used (" + m
                    + "); issue one naming it, e.g. tower certs --host HOST");
        }
        if (m.contains("Unsupported or unrecognized SSL message") || m.contains("Unrecognized SSL message")) {
            return Optional.of(PREFIX + "the server does not speak TLS (plain HTTP?); drop --ca-cert / "
                    + ClientSecurity.ENV_CA_CERT + ", or start it with --tls-cert");
        }
        return Optional.of(PREFIX + (ssl instanceof SSLHandshakeException ? "handshake failed: " : "") + m);
    }

    /**
     * A plain-HTTP request to a server that speaks only TLS gets no bytes back (the server waits for a handshake and
     * drops the connection): the JDK says "header parser received no bytes".
     */
    private static Optional<String> plainHttpToTls(Throwable e) {
        for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("header parser received no bytes")) {
                return Optional.of(PREFIX + "the server closed a plain HTTP connection without a word: if it serves "
                        + "HTTPS, give the cluster's CA with --ca-cert or " + ClientSecurity.ENV_CA_CERT);
            }
        }
        return Optional.empty();
    }
}
