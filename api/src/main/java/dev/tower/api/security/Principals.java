package dev.tower.api.security;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.codec.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The principals a server accepts and their secrets, from a credentials file in Mesos's format:
 * {@code {"credentials": [{"principal": "spark", "secret": "..."}]}}. A caller presents one as HTTP Basic
 * ({@code principal:secret}) or as HTTP Bearer (the secret alone; so secrets must differ).
 */
public final class Principals {
    private final Map<String, byte[]> secrets;
    private final Map<String, String> bySecret;

    private Principals(Map<String, byte[]> secrets, Map<String, String> bySecret) {
        this.secrets = secrets;
        this.bySecret = bySecret;
    }

    public static Principals of(Map<String, String> principalToSecret) {
        Map<String, byte[]> secrets = new LinkedHashMap<>();
        Map<String, String> bySecret = new LinkedHashMap<>();
        principalToSecret.forEach((p, s) -> {
            Credential.basic(p, s); // validates both
            secrets.put(p, s.getBytes(StandardCharsets.UTF_8));
            String other = bySecret.put(s, p);
            if (other != null) {
                throw new IllegalArgumentException("principals '" + other + "' and '" + p
                        + "' have the same secret; each needs its own (a Bearer token names its principal by it)");
            }
        });
        if (secrets.isEmpty()) {
            throw new IllegalArgumentException("no principals");
        }
        return new Principals(Collections.unmodifiableMap(secrets), bySecret);
    }

    /** @throws IllegalArgumentException naming the file and the entry that is wrong */
    public static Principals load(Path file) {
        JsonNode root;
        try {
            root = Json.mapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException("credentials file " + file + ": " + e.getMessage(), e);
        }
        JsonNode list = root == null ? null : root.get("credentials");
        if (list == null || !list.isArray()) {
            throw new IllegalArgumentException("credentials file " + file
                    + ": expected {\"credentials\": [{\"principal\": ..., \"secret\": ...}]}");
        }
        Map<String, String> m = new LinkedHashMap<>();
        int i = 0;
        for (JsonNode c : list) {
            String where = "credentials file " + file + ": credentials[" + i++ + "]";
            JsonNode p = c.get("principal");
            JsonNode s = c.get("secret");
            if (p == null || !p.isTextual() || p.asText().isBlank()) {
                throw new IllegalArgumentException(where + ".principal: missing");
            }
            if (s == null || !s.isTextual() || s.asText().isEmpty()) {
                throw new IllegalArgumentException(where + ".secret: missing");
            }
            if (m.put(p.asText(), s.asText()) != null) {
                throw new IllegalArgumentException(where + ".principal: '" + p.asText() + "' appears twice");
            }
        }
        try {
            return of(m);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("credentials file " + file + ": " + e.getMessage(), e);
        }
    }

    public Set<String> names() {
        return secrets.keySet();
    }

    /** The principal the header proves, if it proves one: Basic with a known principal and its secret, or Bearer with a secret. */
    public Optional<String> authenticate(String authorization) {
        if (authorization == null) {
            return Optional.empty();
        }
        String h = authorization.trim();
        if (regionMatches(h, "Basic ")) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(h.substring(6).trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
            int colon = decoded.indexOf(':');
            if (colon <= 0) {
                return Optional.empty();
            }
            String principal = decoded.substring(0, colon);
            byte[] expected = secrets.get(principal);
            byte[] given = decoded.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
            // Compared in constant time even for an unknown principal, so timing tells nothing about names.
            boolean ok = MessageDigest.isEqual(expected == null ? new byte[given.length + 1] : expected, given);
            return ok && expected != null ? Optional.of(principal) : Optional.empty();
        }
        if (regionMatches(h, "Bearer ")) {
            String token = h.substring(7).trim();
            String principal = bySecret.get(token);
            return principal != null && MessageDigest.isEqual(secrets.get(principal), token.getBytes(StandardCharsets.UTF_8))
                    ? Optional.of(principal) : Optional.empty();
        }
        return Optional.empty();
    }

    static boolean regionMatches(String header, String scheme) {
        return header.regionMatches(true, 0, scheme, 0, scheme.length());
    }

    @Override
    public String toString() {
        return "Principals" + names();
    }
}
