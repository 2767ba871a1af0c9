package dev.tower.hadoop.fetch;

import dev.tower.agent.fetcher.UriFetcher;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * The agent's fetcher for Hadoop file systems: a task's {@code hdfs://…} (or {@code webhdfs://}, {@code viewfs://},
 * {@code s3a://}, … when their FileSystem is on the classpath) URIs are copied into its sandbox with Hadoop's
 * {@code FileSystem} API. Found by the agent with {@link java.util.ServiceLoader} when the Hadoop home's
 * {@code bridge/tower-hadoop-bridge.jar} and {@code lib/*} are on its classpath. Hadoop's configuration comes from the
 * classpath and, when set, {@code $HADOOP_CONF_DIR} (core-site.xml, hdfs-site.xml).
 */
public final class HadoopFileSystemFetcher implements UriFetcher {
    static final Set<String> DEFAULT_SCHEMES = Set.of("hdfs", "webhdfs", "swebhdfs", "viewfs", "har", "s3a", "abfs",
            "abfss", "gs", "ofs", "o3fs");

    private final Set<String> schemes;
    private final Configuration conf;

    /** What {@link java.util.ServiceLoader} makes. */
    public HadoopFileSystemFetcher() {
        this(DEFAULT_SCHEMES, configuration(System.getenv("HADOOP_CONF_DIR")));
    }

    HadoopFileSystemFetcher(Set<String> schemes, Configuration conf) {
        this.schemes = Set.copyOf(schemes);
        this.conf = conf;
    }

    static Configuration configuration(String confDir) {
        Configuration conf = new Configuration();
        if (confDir != null && !confDir.isBlank()) {
            for (String file : new String[] {"core-site.xml", "hdfs-site.xml"}) {
                Path p = Path.of(confDir, file);
                if (Files.isRegularFile(p)) {
                    conf.addResource(new org.apache.hadoop.fs.Path(p.toUri()));
                }
            }
        }
        return conf;
    }

    @Override
    public Set<String> schemes() {
        return schemes;
    }

    @Override
    public void fetch(URI uri, Path target) throws IOException {
        // A FileSystem of its own, closed here: the cached ones are shared and would outlive the fetch.
        try (FileSystem fs = FileSystem.newInstance(uri, conf)) {
            // The raw local file system writes no .crc file beside the copy.
            fs.copyToLocalFile(false, new org.apache.hadoop.fs.Path(uri),
                    new org.apache.hadoop.fs.Path(target.toAbsolutePath().toUri()), true);
        }
    }
}
