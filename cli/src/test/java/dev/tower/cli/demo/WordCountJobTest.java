package dev.tower.cli.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class WordCountJobTest {
    @TempDir
    Path out;

    @Test
    void topWordsSumTheReducersOutputsMostFrequentFirstThenByWord() throws Exception {
        Files.writeString(out.resolve("part-r-00000"), "tower\t7\nyarn\t3\n");
        Files.writeString(out.resolve("part-r-00001"), "agent\t3\noffer\t9\n");
        Files.writeString(out.resolve("_SUCCESS"), "");

        assertThat(WordCountJob.topWords(out, 3)).containsExactly("offer 9", "tower 7", "agent 3");
    }
}
