package dev.tower.agent.fetcher;

import dev.tower.api.model.CommandInfo.FetchUri;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FetcherPluginTest {
    /** A scheme served from a directory, as a Hadoop FileSystem plug-in would serve hdfs://. */
    record DirectoryScheme(Path root) implements UriFetcher {
        @Override
        public Set<String> schemes() {
            return Set.of("demo");
        }

        @Override
        public void fetch(URI uri, Path target) throws java.io.IOException {
            Files.copy(root.resolve(uri.getPath().substring(1)), target);
        }
    }

    @Test
    void urisOfAPluginsSchemeGoThroughItWithTheAgentsFlags(@TempDir Path dir) throws Exception {
        Path remote = Files.createDirectories(dir.resolve("remote"));
        Files.writeString(remote.resolve("run.sh"), "#!/bin/sh\necho hi\n");
        Path sandbox = Files.createDirectories(dir.resolve("sandbox"));
        Fetcher fetcher = new Fetcher(HttpClient.newHttpClient(), List.of(new DirectoryScheme(remote)));

        Path got = fetcher.fetch(new FetchUri("DEMO://namenode:8020/run.sh", false, true, null), sandbox);

        assertThat(got).isEqualTo(sandbox.resolve("run.sh")).hasContent("#!/bin/sh\necho hi");
        assertThat(Files.isExecutable(got)).isTrue();
    }

    @Test
    void aSchemeNoPluginBringsFailsWithTheUriNamed(@TempDir Path dir) {
        Fetcher fetcher = new Fetcher(HttpClient.newHttpClient(), List.of());
        assertThatThrownBy(() -> fetcher.fetch(FetchUri.of("hdfs://nn:8020/x.jar"), dir))
                .isInstanceOf(FetchException.class).hasMessageContaining("hdfs://nn:8020/x.jar")
                .hasMessageContaining("no fetcher for scheme 'hdfs'");
    }

    @Test
    void schemesAreReadOnlyFromUriLookingValues() {
        assertThat(Fetcher.scheme("hdfs://nn/x")).isEqualTo("hdfs");
        assertThat(Fetcher.scheme("s3a://b/k")).isEqualTo("s3a");
        assertThat(Fetcher.scheme("/plain/path")).isEmpty();
        assertThat(Fetcher.scheme("dir with space://x")).isEmpty();
    }
}
