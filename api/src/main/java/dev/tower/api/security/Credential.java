package dev.tower.api.security;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * What a client presents to Tower's HTTP APIs: a principal with its secret (sent as HTTP Basic) or a token (sent as
 * HTTP Bearer: a principal's secret, or the task-scoped token an agent gives each task).
 */
public sealed interface Credential {
    /** The {@code Authorization} header value. */
    String authorization();

    /** Who this is, for messages (never the secret). */
    String describe();

    static Credential basic(String principal, String secret) {
        return new Basic(principal, secret);
    }

    static Credential bearer(String token) {
        return new Bearer(token);
    }

    record Basic(String principal, String secret) implements Credential {
        public Basic {
            if (principal == null || principal.isBlank()) {
                throw new IllegalArgumentException("principal: empty");
            }
            if (principal.indexOf(':') >= 0) {
                throw new IllegalArgumentException("principal: '" + principal + "' contains ':'");
            }
            if (secret == null || secret.isEmpty()) {
                throw new IllegalArgumentException("secret of principal '" + principal + "': empty");
            }
        }

        @Override
        public String authorization() {
            return "Basic " + Base64.getEncoder().encodeToString((principal + ":" + secret).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String describe() {
            return "principal '" + principal + "'";
        }

        @Override
        public String toString() {
            return "Basic[" + principal + "]";
        }
    }

    record Bearer(String token) implements Credential {
        public Bearer {
            if (token == null || token.isBlank()) {
                throw new IllegalArgumentException("token: empty");
            }
        }

        @Override
        public String authorization() {
            return "Bearer " + token;
        }

        @Override
        public String describe() {
            return "a bearer token";
        }

        @Override
        public String toString() {
            return "Bearer[…]";
        }
    }
}
