package dev.tower.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A connection to a Docker engine through its Unix socket: docker-java's typed commands, and the raw HTTP client under
 * them for the log stream (whose frames docker-java would hand over in pieces that lose the message boundaries).
 */
final class DockerEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DockerEngine.class);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);

    private final Path socket;
    private final DockerHttpClient http;
    private final DockerClient client;

    private DockerEngine(Path socket, DockerHttpClient http, DockerClient client) {
        this.socket = socket;
        this.http = http;
        this.client = client;
    }

    /**
     * @param responseTimeout how long any one call may wait for the engine's answer; null for no limit (waits and
     *                        followed logs last as long as their containers)
     */
    static DockerEngine connect(Path socket, Duration responseTimeout) {
        String host = "unix://" + socket.toAbsolutePath();
        // The socket is given: DOCKER_HOST, DOCKER_TLS_VERIFY and the like in the agent's environment do not apply.
        DockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(host)
                .withDockerTlsVerify(false)
                .build();
        ZerodepDockerHttpClient.Builder builder = new ZerodepDockerHttpClient.Builder()
                .dockerHost(URI.create(host))
                .connectionTimeout(CONNECT_TIMEOUT);
        if (responseTimeout != null) {
            builder.responseTimeout(responseTimeout);
        }
        DockerHttpClient http = builder.build();
        return new DockerEngine(socket, http, DockerClientImpl.getInstance(config, http));
    }

    Path socket() {
        return socket;
    }

    DockerClient client() {
        return client;
    }

    DockerHttpClient http() {
        return http;
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing the Docker client: {}", e.toString());
        }
        try {
            http.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing the Docker HTTP client: {}", e.toString());
        }
    }
}
