package dev.tower.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.transport.DockerHttpClient;
import dev.tower.agent.AgentConfig;
import dev.tower.agent.containerizer.ContainerizerProvider;
import dev.tower.agent.containerizer.DockerSettings;
import dev.tower.agent.containerizer.LaunchSpec;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.ContainerInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Assumptions;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Docker engine the tests run against ({@code /var/run/docker.sock}), or a skipped test saying why there is none;
 * and a busybox image made from the host's static busybox, since no registry can be reached.
 */
final class TestEngine {
    /** {@code -Dtower.test.docker.socket=PATH} points the tests at another engine (or, naming none, skips them). */
    static final Path SOCKET = Path.of(System.getProperty("tower.test.docker.socket",
            DockerSettings.DEFAULT_SOCKET.toString()));
    static final String IMAGE = "tower/busybox:docker-support-test";
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static volatile String unavailable;
    private static volatile boolean imported;

    private TestEngine() {
    }

    /** Skips the calling test (or class) unless an engine answers; makes sure the test image exists. */
    static synchronized void assumeEngine() {
        if (unavailable == null && !imported) {
            unavailable = probe();
        }
        Assumptions.assumeTrue(unavailable == null, () -> "no Docker engine: " + unavailable);
        if (!imported) {
            Assumptions.assumeTrue(Files.isExecutable(BUSYBOX),
                    "no static busybox at " + BUSYBOX + " to build the test image from (apt-get install busybox-static)");
            try (DockerEngine e = DockerEngine.connect(SOCKET, null)) {
                importBusybox(e.client(), e.http());
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException("cannot build the test image: " + e, e);
            }
            imported = true;
        }
    }

    private static String probe() {
        if (!Files.exists(SOCKET)) {
            return "no socket at " + SOCKET;
        }
        try (DockerEngine e = DockerEngine.connect(SOCKET, java.time.Duration.ofSeconds(3))) {
            e.client().pingCmd().exec();
            return null;
        } catch (RuntimeException e) {
            return "the engine at " + SOCKET + " does not answer: " + e;
        }
    }

    /** A root file system of busybox and its applets, imported as {@link #IMAGE} (once; kept for later runs). */
    private static void importBusybox(DockerClient client, DockerHttpClient http) throws IOException, InterruptedException {
        try {
            client.inspectImageCmd(IMAGE).exec();
            return;
        } catch (NotFoundException e) {
            // import it
        }
        Process list = new ProcessBuilder(BUSYBOX.toString(), "--list").redirectErrorStream(true).start();
        List<String> applets = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                .map(String::strip).filter(s -> !s.isEmpty() && !s.equals("busybox")).toList();
        list.waitFor();
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (String dir : List.of("bin/", "etc/", "tmp/", "mnt/", "www/")) {
                TarArchiveEntry d = new TarArchiveEntry(dir);
                d.setMode(dir.equals("tmp/") ? 01777 : 0755);
                out.putArchiveEntry(d);
                out.closeArchiveEntry();
            }
            byte[] passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n"
                    .getBytes(StandardCharsets.US_ASCII);
            TarArchiveEntry p = new TarArchiveEntry("etc/passwd");
            p.setSize(passwd.length);
            p.setMode(0644);
            out.putArchiveEntry(p);
            out.write(passwd);
            out.closeArchiveEntry();
            byte[] bin = Files.readAllBytes(BUSYBOX);
            TarArchiveEntry b = new TarArchiveEntry("bin/busybox");
            b.setSize(bin.length);
            b.setMode(0755);
            out.putArchiveEntry(b);
            out.write(bin);
            out.closeArchiveEntry();
            for (String applet : applets) {
                TarArchiveEntry l = new TarArchiveEntry("bin/" + applet, TarArchiveEntry.LF_SYMLINK);
                l.setLinkName("busybox");
                out.putArchiveEntry(l);
                out.closeArchiveEntry();
            }
        }
        // POST /images/create?fromSrc=- (docker import), with the archive as a body of known length: docker-java's
        // createImageCmd streams it in a way this engine reads as truncated ("unexpected EOF").
        int colon = IMAGE.lastIndexOf(':');
        try (DockerHttpClient.Response r = http.execute(DockerHttpClient.Request.builder()
                .method(DockerHttpClient.Request.Method.POST)
                .path("/images/create?fromSrc=-&repo=" + IMAGE.substring(0, colon) + "&tag=" + IMAGE.substring(colon + 1))
                .putHeader("Content-Type", "application/x-tar")
                .bodyBytes(tar.toByteArray())
                .build())) {
            String body = new String(r.getBody().readAllBytes(), StandardCharsets.UTF_8);
            if (r.getStatusCode() != 200 || body.contains("\"error")) {
                throw new IOException("importing " + IMAGE + ": " + r.getStatusCode() + " " + body);
            }
        }
    }

    /** A client of the engine for the tests' own checks. */
    static DockerEngine engine() {
        return DockerEngine.connect(SOCKET, null);
    }

    static ScheduledExecutorService timer() {
        return Executors.newScheduledThreadPool(1, r -> {
            Thread t = new Thread(r, "test-timer");
            t.setDaemon(true);
            return t;
        });
    }

    /** The containerizer an agent with these Docker settings would get. */
    static DockerContainerizer containerizer(DockerSettings settings, ScheduledExecutorService timer, String agentId,
                                             Path workDir) {
        AgentConfig config = AgentConfig.defaults("127.0.0.1:5050", workDir).withDocker(settings);
        ContainerizerProvider.Result r = new DockerContainerizerProvider()
                .create(new ContainerizerProvider.Context(config, timer, () -> agentId));
        if (!r.isAvailable()) {
            throw new IllegalStateException("Docker containerizer unavailable: " + r.description());
        }
        return (DockerContainerizer) r.containerizer();
    }

    static DockerSettings settings(List<DockerSettings.VolumeRule> volumes, boolean privileged) {
        return new DockerSettings(SOCKET, volumes, privileged, true);
    }

    /** A shell-command container task of the test image. */
    static TaskInfo task(String taskId, String shell, Resources resources) {
        return new TaskInfo(taskId, taskId, null, resources, CommandInfo.shell(shell), null, Map.of(),
                ContainerInfo.docker(IMAGE).withPullPolicy(ContainerInfo.PullPolicy.NEVER));
    }

    /** Sandbox and checkpoint directory of {@code task} under {@code root}. */
    static LaunchSpec spec(Path root, String frameworkId, String agentId, TaskInfo task) throws IOException {
        Path sandbox = Files.createDirectories(root.resolve("sandboxes").resolve(task.taskId()));
        Path checkpoint = Files.createDirectories(root.resolve("meta").resolve(task.taskId()));
        return new LaunchSpec(frameworkId, agentId, "127.0.0.1", task, sandbox, checkpoint);
    }

    /** A framework id no other test run uses, so a test's clean-up finds only its own containers. */
    static String frameworkId() {
        return "fw-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet() + "-"
                + Long.toHexString(System.nanoTime() & 0xffffff);
    }

    /** Removes (by force) whatever containers of {@code frameworkId} a test left, returning how many. */
    static int removeContainersOf(DockerEngine engine, String frameworkId) {
        List<com.github.dockerjava.api.model.Container> left = containersOf(engine, frameworkId);
        for (com.github.dockerjava.api.model.Container c : left) {
            try {
                engine.client().removeContainerCmd(c.getId()).withForce(true).exec();
            } catch (NotFoundException | ConflictException e) {
                // removed meanwhile, or being removed
            }
        }
        return left.size();
    }

    static List<com.github.dockerjava.api.model.Container> containersOf(DockerEngine engine, String frameworkId) {
        return engine.client().listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(DockerRunConfig.LABEL_FRAMEWORK, frameworkId)).exec();
    }

    static boolean exists(DockerEngine engine, String containerId) {
        try {
            engine.client().inspectContainerCmd(containerId).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "";
    }
}
