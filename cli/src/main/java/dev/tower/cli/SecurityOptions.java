package dev.tower.cli;

import dev.tower.api.security.ClientSecurity;
import dev.tower.api.security.Principals;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;

/**
 * Authentication flags of the servers ({@code tower master}, {@code tower agent}): whom they accept, and how they
 * present themselves when they call each other (an agent its master, a master the agents whose sandboxes it reads).
 */
public final class SecurityOptions {
    @Option(names = "--credentials", paramLabel = "FILE",
            description = "Principals and secrets this server accepts, as JSON {\"credentials\": [{\"principal\": ..., "
                    + "\"secret\": ...}]}; turns authentication on: every call but /health then needs one "
                    + "(HTTP Basic principal:secret, or HTTP Bearer secret).")
    Path credentials;

    @Option(names = "--principal", paramLabel = "NAME",
            description = "Principal this server authenticates as when it calls the others, with --secret-file. "
                    + "Default: $TOWER_PRINCIPAL.")
    String principal;

    @Option(names = "--secret-file", paramLabel = "FILE",
            description = "File holding that principal's secret. Default: $TOWER_SECRET_FILE (or $TOWER_SECRET).")
    Path secretFile;

    @Option(names = "--ca-cert", paramLabel = "PEM",
            description = "CA certificate the others' TLS certificates must be signed by, for this server's own "
                    + "calls. Default: $TOWER_CA_CERT.")
    Path caCert;

    /** Whom the server accepts; null when it does not authenticate. */
    Principals principals() {
        return credentials == null ? null : Principals.load(credentials);
    }

    /** How the server calls the others: the flags, else the environment. */
    ClientSecurity asClient() {
        return asClient(System.getenv());
    }

    ClientSecurity asClient(Map<String, String> env) {
        return ClientSecurity.fromFlags(principal, secretFile, caCert, env);
    }
}
