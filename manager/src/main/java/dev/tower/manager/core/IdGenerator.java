package dev.tower.manager.core;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Random;

/** Makes ids for agents, frameworks, offers and status updates; seeded in simulations so runs replay exactly. */
public interface IdGenerator {
    String next(String prefix);

    /** Random ids that do not repeat across master restarts. */
    static IdGenerator random() {
        SecureRandom random = new SecureRandom();
        return prefix -> {
            byte[] b = new byte[8];
            random.nextBytes(b);
            return prefix + "-" + HexFormat.of().formatHex(b);
        };
    }

    static IdGenerator seeded(long seed) {
        Random random = new Random(seed);
        return prefix -> prefix + "-" + Long.toHexString(random.nextLong() & Long.MAX_VALUE);
    }
}
