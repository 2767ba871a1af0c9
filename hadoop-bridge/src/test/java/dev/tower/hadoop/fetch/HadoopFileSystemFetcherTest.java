package dev.tower.hadoop.fetch;

import dev.tower.agent.fetcher.Fetcher;
import dev.tower.agent.fetcher.UriFetcher;
import dev.tower.api.model.CommandInfo.FetchUri;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class HadoopFileSystemFetcherTest {

    @Test
    void theAgentFindsItWithServiceLoaderForHadoopSchemes() {
        List<UriFetcher> found = ServiceLoader.load(UriFetcher.class).stream().map(ServiceLoader.Provider::get)
                .toList();
        assertThat(found).hasAtLeastOneElementOfType(HadoopFileSystemFetcher.class);
        assertThat(found.get(0).schemes()).contains("hdfs", "webhdfs", "viewfs").doesNotContain("file", "http");
    }

    @Test
    void copiesWithHadoopsFileSystemIntoTheSandboxThroughTheAgentsFetcher(@TempDir Path dir) throws Exception {
        // Hadoop's local file system under a scheme of its own stands in for a cluster's: the path through Hadoop's
        // FileSystem API is the same.
        Configuration conf = new Configuration();
        conf.set("fs.tower-test.impl", ShiftedLocalFileSystem.class.getName());
        Path remote = Files.createDirectories(dir.resolve("remote"));
        Files.writeString(remote.resolve("job.tgz"), "payload");
        Path sandbox = Files.createDirectories(dir.resolve("sandbox"));
        Fetcher fetcher = new Fetcher(HttpClient.newHttpClient(),
                List.of(new HadoopFileSystemFetcher(Set.of("tower-test"), conf)));

        Path got = fetcher.fetch(new FetchUri("tower-test://" + remote.resolve("job.tgz"), false, false, "job.tgz"),
                sandbox);

        assertThat(got).hasContent("payload");
        try (var files = Files.list(sandbox)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("job.tgz");
        }
    }

    /** Hadoop's raw local file system answering to {@code tower-test://}. */
    public static final class ShiftedLocalFileSystem extends org.apache.hadoop.fs.RawLocalFileSystem {
        @Override
        public java.net.URI getUri() {
            return java.net.URI.create("tower-test:///");
        }

        @Override
        public String getScheme() {
            return "tower-test";
        }
    }
}
