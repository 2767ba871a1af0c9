package dev.tower.hadoop.framework;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ShellTest {
    @Test
    void quotedWordsReachTheProgramUnchanged() throws Exception {
        List<String> words = List.of("plain", "yarn-site.xml:k=${env.TOWER_SANDBOX}/x", "it's", "a b", "/lib/*", "");
        StringBuilder sh = new StringBuilder("printf '%s\\n'");
        words.forEach(w -> sh.append(' ').append(Shell.quote(w)));
        Process p = new ProcessBuilder("/bin/sh", "-c", sh.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isZero();
        assertThat(out.split("\n", -1)).containsExactly("plain", "yarn-site.xml:k=${env.TOWER_SANDBOX}/x", "it's",
                "a b", "/lib/*", "", "");
    }
}
