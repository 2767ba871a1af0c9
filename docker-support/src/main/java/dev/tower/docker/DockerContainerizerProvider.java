package dev.tower.docker;

import com.github.dockerjava.api.model.Version;
import dev.tower.agent.containerizer.ContainerizerProvider;
import dev.tower.agent.containerizer.DockerSettings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Docker containerizer, when the agent allows Docker tasks and its engine answers: the engine is pinged (and asked
 * its version) through the configured socket, and must answer within {@link #PING_TIMEOUT}.
 */
public final class DockerContainerizerProvider implements ContainerizerProvider {
    static final Duration PING_TIMEOUT = Duration.ofSeconds(3);

    @Override
    public String name() {
        return "docker";
    }

    @Override
    public Result create(Context context) {
        DockerSettings settings = context.config().docker();
        if (!settings.enabled()) {
            return Result.unavailable("Docker tasks are turned off in this agent's configuration");
        }
        Path socket = settings.socket();
        if (!Files.exists(socket)) {
            return Result.unavailable("no Docker engine socket at " + socket);
        }
        Version version;
        try {
            version = probe(socket);
        } catch (TimeoutException e) {
            return Result.unavailable("the Docker engine at " + socket + " did not answer within "
                    + PING_TIMEOUT.toMillis() + " ms");
        } catch (Exception e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            return Result.unavailable("the Docker engine at " + socket + " did not answer: "
                    + (cause instanceof RuntimeException r ? DockerContainerizer.message(r) : cause.toString()));
        }
        DockerEngine engine = DockerEngine.connect(socket, null);
        return Result.available(new DockerContainerizer(engine, settings, context.timer(), context.agentId()),
                "Docker " + version.getVersion() + " (API " + version.getApiVersion() + ") at " + socket);
    }

    /** Ping and version with a client whose calls time out; on a thread of its own, in case connecting hangs. */
    private static Version probe(Path socket) throws Exception {
        CompletableFuture<Version> answer = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (DockerEngine probe = DockerEngine.connect(socket, PING_TIMEOUT)) {
                probe.client().pingCmd().exec();
                answer.complete(probe.client().versionCmd().exec());
            } catch (Throwable e) {
                answer.completeExceptionally(e);
            }
        }, "docker-probe");
        t.setDaemon(true);
        t.start();
        try {
            return answer.get(PING_TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS);
        } finally {
            t.interrupt();
        }
    }
}
