package dev.tower.hadoop.daemon;

import dev.tower.hadoop.yarn.ConfigurationFiles;

import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs a stock YARN daemon inside a Tower task. Writes the configuration the bridge chose into {@code conf/} of the
 * sandbox (a directory on this JVM's classpath, so {@code YarnConfiguration} finds {@code yarn-site.xml} there), then
 * hands over to the daemon's own {@code main}.
 *
 * <p>Arguments: {@code resourcemanager|nodemanager FILE:KEY=VALUE...}, e.g.
 * {@code yarn-site.xml:yarn.resourcemanager.address=host:31000}.
 */
public final class YarnDaemon {
    static final String CONF_DIR = "conf";
    private static final String LOG4J = """
            log4j.rootLogger=INFO,console
            log4j.appender.console=org.apache.log4j.ConsoleAppender
            log4j.appender.console.target=System.err
            log4j.appender.console.layout=org.apache.log4j.PatternLayout
            log4j.appender.console.layout.ConversionPattern=%d{ISO8601} %p %c{2}: %m%n
            log4j.logger.org.apache.hadoop.util.NativeCodeLoader=ERROR
            """;

    private YarnDaemon() {
    }

    public static void main(String[] args) throws Throwable {
        if (args.length < 1) {
            System.err.println("usage: YarnDaemon resourcemanager|nodemanager [FILE:KEY=VALUE...]");
            System.exit(2);
        }
        String mainClass = switch (args[0]) {
            case "resourcemanager" -> "org.apache.hadoop.yarn.server.resourcemanager.ResourceManager";
            case "nodemanager" -> "org.apache.hadoop.yarn.server.nodemanager.NodeManager";
            default -> throw new IllegalArgumentException("unknown daemon " + args[0]);
        };
        writeConfiguration(Path.of(CONF_DIR), parse(args));
        try {
            Class.forName(mainClass).getMethod("main", String[].class).invoke(null, (Object) new String[0]);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** {@code FILE:KEY=VALUE} arguments (after the first) grouped by file, in order. */
    static Map<String, Map<String, String>> parse(String[] args) {
        Map<String, Map<String, String>> files = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            int colon = a.indexOf(':');
            int eq = a.indexOf('=', colon + 1);
            if (colon <= 0 || eq <= colon + 1) {
                throw new IllegalArgumentException("expected FILE:KEY=VALUE, got " + a);
            }
            files.computeIfAbsent(a.substring(0, colon), f -> new LinkedHashMap<>())
                    .put(a.substring(colon + 1, eq), a.substring(eq + 1));
        }
        return files;
    }

    static void writeConfiguration(Path dir, Map<String, Map<String, String>> files) throws Exception {
        // Logging first: log4j reads its file once, when Hadoop's Configuration first logs.
        Files.createDirectories(dir);
        Path log4j = dir.resolve("log4j.properties");
        if (!Files.exists(log4j)) {
            Files.writeString(log4j, LOG4J, StandardCharsets.UTF_8);
        }
        ConfigurationFiles.write(dir, files);
    }
}
