package dev.tower.hadoop.yarn;

import org.apache.hadoop.conf.Configuration;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Writes {@code file → key → value} maps as Hadoop configuration files, with Hadoop's own writer. */
public final class ConfigurationFiles {
    private ConfigurationFiles() {
    }

    public static void write(Path dir, Map<String, Map<String, String>> files) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, Map<String, String>> f : files.entrySet()) {
            Configuration conf = new Configuration(false);
            f.getValue().forEach((k, v) -> conf.set(k, v, "tower-hadoop-bridge"));
            try (OutputStream out = Files.newOutputStream(dir.resolve(f.getKey()))) {
                conf.writeXml(out);
            }
        }
    }
}
