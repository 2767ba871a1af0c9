package dev.tower.docker;

import dev.tower.agent.AgentConfig;
import dev.tower.agent.containerizer.ContainerizerProvider;
import dev.tower.agent.containerizer.DockerSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.assertj.core.api.Assertions.assertThat;

class DockerContainerizerProviderTest {
    @TempDir
    Path dir;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void tearDown() {
        timer.shutdownNow();
    }

    private ContainerizerProvider.Result create(DockerSettings settings) {
        AgentConfig config = AgentConfig.defaults("127.0.0.1:5050", dir).withDocker(settings);
        return new DockerContainerizerProvider().create(new ContainerizerProvider.Context(config, timer, () -> "a1"));
    }

    @Test
    void theAgentFindsTheProviderByServiceLoader() {
        List<String> names = new ArrayList<>();
        ServiceLoader.load(ContainerizerProvider.class).forEach(p -> names.add(p.getClass().getName() + ":" + p.name()));

        assertThat(names).contains(DockerContainerizerProvider.class.getName() + ":docker");
    }

    @Test
    void unavailableWhenTurnedOff() {
        ContainerizerProvider.Result r = create(new DockerSettings(TestEngine.SOCKET, List.of(), false, false));

        assertThat(r.isAvailable()).isFalse();
        assertThat(r.description()).isEqualTo("Docker tasks are turned off in this agent's configuration");
    }

    @Test
    void unavailableWithoutASocket() {
        Path missing = dir.resolve("docker.sock");
        ContainerizerProvider.Result r = create(new DockerSettings(missing, List.of(), false, true));

        assertThat(r.isAvailable()).isFalse();
        assertThat(r.description()).isEqualTo("no Docker engine socket at " + missing);
    }

    @Test
    void unavailableWhenTheEngineDoesNotAnswerInTime() throws Exception {
        Path socket = dir.resolve("silent.sock");
        List<SocketChannel> accepted = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(server.accept());
                    }
                } catch (Exception e) {
                    // closed
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();

            long t0 = System.nanoTime();
            ContainerizerProvider.Result r = create(new DockerSettings(socket, List.of(), false, true));
            long ms = (System.nanoTime() - t0) / 1_000_000;

            assertThat(r.isAvailable()).isFalse();
            assertThat(r.description()).startsWith("the Docker engine at " + socket + " did not answer");
            assertThat(ms).isBetween(2_500L, 6_000L);
            server.close();
            acceptor.join(5_000);
        } finally {
            for (SocketChannel c : accepted) {
                c.close();
            }
        }
    }

    @Test
    void availableWithTheEnginesVersion() {
        TestEngine.assumeEngine();
        ContainerizerProvider.Result r = create(TestEngine.settings(List.of(), false));

        assertThat(r.isAvailable()).isTrue();
        assertThat(r.description()).matches("Docker \\S+ \\(API 1\\.\\d+\\) at " + TestEngine.SOCKET);
        assertThat(r.containerizer().name()).isEqualTo("docker");
        r.containerizer().close();
    }
}
