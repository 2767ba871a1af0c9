package dev.tower.spark;

import dev.tower.api.security.ClientSecurity;

import java.nio.file.Path;
import java.util.Map;

/**
 * How the driver authenticates to Tower masters and which CA it trusts: {@code spark.tower.principal} with
 * {@code spark.tower.secret} or {@code spark.tower.secretFile}, and {@code spark.tower.caCert} (a PEM file; turns
 * TLS on). Each falls back to the Tower client variables ({@code TOWER_PRINCIPAL}, {@code TOWER_SECRET},
 * {@code TOWER_SECRET_FILE}, {@code TOWER_TOKEN}, {@code TOWER_CA_CERT}) of the driver's environment. Spark redacts
 * {@code spark.tower.secret} in its UI and logs (its default {@code spark.redaction.regex} matches "secret").
 */
public final class TowerSparkSecurity {
    public static final String SECRET = "spark.tower.secret";
    public static final String SECRET_FILE = "spark.tower.secretFile";
    public static final String CA_CERT = "spark.tower.caCert";

    private TowerSparkSecurity() {
    }

    /** @throws IllegalArgumentException naming the setting that is wrong */
    public static ClientSecurity from(Map<String, String> conf, Map<String, String> env) {
        String principal = pick(conf.get(TowerSparkConf.PRINCIPAL), env.get(ClientSecurity.ENV_PRINCIPAL));
        String secretFile = pick(conf.get(SECRET_FILE), conf.get(SECRET) == null ? env.get(ClientSecurity.ENV_SECRET_FILE) : null);
        String secret = pick(conf.get(SECRET), secretFile == null ? env.get(ClientSecurity.ENV_SECRET) : null);
        String ca = pick(conf.get(CA_CERT), env.get(ClientSecurity.ENV_CA_CERT));
        boolean hasSecret = secret != null || secretFile != null;
        try {
            return ClientSecurity.of(hasSecret ? principal : null, secret, secretFile == null ? null : Path.of(secretFile),
                    env.get(ClientSecurity.ENV_TOKEN), ca == null ? null : Path.of(ca));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Tower security settings (" + TowerSparkConf.PRINCIPAL + ", " + SECRET
                    + ", " + SECRET_FILE + ", " + CA_CERT + "): " + e.getMessage(), e);
        }
    }

    private static String pick(String fromConf, String fromEnv) {
        if (fromConf != null && !fromConf.isBlank()) {
            return fromConf.trim();
        }
        return fromEnv == null || fromEnv.isBlank() ? null : fromEnv.trim();
    }
}
