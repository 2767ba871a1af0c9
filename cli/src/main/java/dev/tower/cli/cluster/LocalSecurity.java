package dev.tower.cli.cluster;

import dev.tower.agent.security.AgentSecurity;
import dev.tower.api.codec.Json;
import dev.tower.api.security.ClientSecurity;
import dev.tower.api.security.Credential;
import dev.tower.api.security.Principals;
import dev.tower.manager.security.Acls;
import dev.tower.manager.security.MasterSecurity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Authentication for a cluster on one machine ({@code tower up --auth}, {@code tower demo --auth}): three principals
 * with fresh random secrets — {@code admin} for people and their jobs, {@code agent} for the agents, {@code master}
 * for the masters' calls to agents — written to {@code <work dir>/security/} (readable by the owner only): the
 * credentials file and one secret file per principal.
 */
public final class LocalSecurity {
    public static final String ADMIN = "admin";
    public static final String AGENT = "agent";
    public static final String MASTER = "master";

    private final Path dir;
    private final Principals principals;
    private final Map<String, String> secrets;
    private final Acls acls;

    private LocalSecurity(Path dir, Map<String, String> secrets, Acls acls) {
        this.dir = dir;
        this.secrets = secrets;
        this.principals = Principals.of(secrets);
        this.acls = acls;
    }

    /** Makes (or, on a work dir used before, reads again) the principals; {@code acls} null allows everything. */
    public static LocalSecurity create(Path workDir, Acls acls) {
        Path dir = workDir.resolve("security");
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            Map<String, String> secrets = new LinkedHashMap<>();
            SecureRandom random = new SecureRandom();
            for (String p : List.of(ADMIN, AGENT, MASTER)) {
                Path file = dir.resolve(p + ".secret");
                if (!Files.exists(file)) {
                    byte[] b = new byte[24];
                    random.nextBytes(b);
                    writePrivate(file, Base64.getUrlEncoder().withoutPadding().encodeToString(b) + "\n");
                }
                secrets.put(p, ClientSecurity.readSecret(file));
            }
            List<Map<String, String>> entries = new ArrayList<>();
            secrets.forEach((p, s) -> entries.add(Map.of("principal", p, "secret", s)));
            writePrivate(dir.resolve("credentials.json"), Json.write(Map.of("credentials", entries)) + "\n");
            return new LocalSecurity(dir, secrets, acls);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the cluster's credentials in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void writePrivate(Path file, String text) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    public Path credentialsFile() {
        return dir.resolve("credentials.json");
    }

    public Path secretFile(String principal) {
        return dir.resolve(principal + ".secret");
    }

    public Credential credential(String principal) {
        return Credential.basic(principal, secrets.get(principal));
    }

    /** What a master of the cluster runs with. */
    public MasterSecurity master() {
        return new MasterSecurity(principals, acls, null, ClientSecurity.NONE.withCredential(credential(MASTER)));
    }

    /** What an agent of the cluster runs with: it accepts the master and admin, and calls masters as {@code agent}. */
    public AgentSecurity agent() {
        return new AgentSecurity(Principals.of(Map.of(MASTER, secrets.get(MASTER), ADMIN, secrets.get(ADMIN))),
                ClientSecurity.NONE.withCredential(credential(AGENT)), null);
    }

    /** How people and their jobs call the cluster. */
    public ClientSecurity admin() {
        return ClientSecurity.NONE.withCredential(credential(ADMIN));
    }

    /** The shell lines that let {@code tower}, Spark and other clients in that shell call the cluster as admin. */
    public String exports() {
        return "export " + ClientSecurity.ENV_PRINCIPAL + "=" + ADMIN + " " + ClientSecurity.ENV_SECRET_FILE + "="
                + secretFile(ADMIN);
    }
}
