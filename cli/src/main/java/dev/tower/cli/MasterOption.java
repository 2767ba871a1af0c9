package dev.tower.cli;

import dev.tower.api.client.MasterHttp;
import dev.tower.api.detect.MasterUrls;
import dev.tower.api.security.ClientSecurity;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;

/**
 * {@code --master} and how to authenticate to it, shared by every command that talks to a running master. Each flag
 * falls back to its environment variable, so a shell that exports them needs no flags.
 */
public final class MasterOption {
    @Option(names = {"-m", "--master"}, paramLabel = "MASTER",
            description = "Master address: host:port[,host:port], or zk://host:port[,host:port]/path to find the "
                    + "elected master through ZooKeeper. Default: $TOWER_MASTER or 127.0.0.1:5050.")
    String master;

    @Option(names = "--principal", paramLabel = "NAME",
            description = "Principal to authenticate as, with --secret-file. Default: $TOWER_PRINCIPAL.")
    String principal;

    @Option(names = "--secret-file", paramLabel = "FILE",
            description = "File holding the principal's secret. Default: $TOWER_SECRET_FILE (or the secret in $TOWER_SECRET).")
    Path secretFile;

    @Option(names = "--ca-cert", paramLabel = "PEM",
            description = "CA certificate the master's TLS certificate must be signed by; turns TLS on. Default: $TOWER_CA_CERT.")
    Path caCert;

    public String url() {
        if (master != null && !master.isBlank()) {
            return master;
        }
        String env = System.getenv("TOWER_MASTER");
        return env != null && !env.isBlank() ? env : "127.0.0.1:5050";
    }

    /**
     * The credential and trust to call the master with: the flags, else the environment.
     *
     * @throws IllegalArgumentException naming the flag or variable that is wrong (the CLI prints the message)
     */
    public ClientSecurity security() {
        return security(System.getenv());
    }

    ClientSecurity security(Map<String, String> env) {
        return ClientSecurity.fromFlags(principal, secretFile, caCert, env);
    }

    /** The security flags given as the TOWER_* variables, for a child process that reads those (the YARN tool). */
    public Map<String, String> environment() {
        Map<String, String> env = new java.util.HashMap<>();
        if (principal != null) {
            env.put(ClientSecurity.ENV_PRINCIPAL, principal);
        }
        if (secretFile != null) {
            env.put(ClientSecurity.ENV_SECRET_FILE, secretFile.toAbsolutePath().toString());
        }
        if (caCert != null) {
            env.put(ClientSecurity.ENV_CA_CERT, caCert.toAbsolutePath().toString());
        }
        return env;
    }

    public MasterHttp http() {
        return new MasterHttp(MasterUrls.detector(url()), security());
    }
}
