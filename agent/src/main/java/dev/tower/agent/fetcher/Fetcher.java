package dev.tower.agent.fetcher;

import dev.tower.api.model.CommandInfo.FetchUri;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Brings a task's URIs into its sandbox before launch: {@code http(s)://}, {@code file://} and plain paths, and any
 * other scheme a {@link UriFetcher} on the agent's classpath brings.
 */
public final class Fetcher {
    private static final Logger LOG = LoggerFactory.getLogger(Fetcher.class);

    private final HttpClient http;
    private final Map<String, UriFetcher> plugins;

    public Fetcher(HttpClient http) {
        this(http, List.of());
    }

    /** @param plugins fetchers of further schemes; the first one naming a scheme gets it */
    public Fetcher(HttpClient http, List<UriFetcher> plugins) {
        this.http = http;
        Map<String, UriFetcher> bySchema = new HashMap<>();
        for (UriFetcher p : plugins) {
            for (String scheme : p.schemes()) {
                bySchema.putIfAbsent(scheme.toLowerCase(Locale.ROOT), p);
            }
        }
        this.plugins = Map.copyOf(bySchema);
    }

    /** With the {@link UriFetcher}s {@link ServiceLoader} finds on the agent's classpath. */
    public static Fetcher withDefaultClient() {
        List<UriFetcher> plugins = new ArrayList<>();
        for (UriFetcher p : ServiceLoader.load(UriFetcher.class)) {
            LOG.info("fetching {} URIs with {}", p.schemes(), p.getClass().getName());
            plugins.add(p);
        }
        return new Fetcher(HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(10))
                .build(), plugins);
    }

    public void fetchAll(List<FetchUri> uris, Path sandbox) throws FetchException, InterruptedException {
        for (FetchUri uri : uris) {
            fetch(uri, sandbox);
        }
    }

    public Path fetch(FetchUri uri, Path sandbox) throws FetchException, InterruptedException {
        String value = uri.value();
        if (value == null || value.isBlank()) {
            throw new FetchException(String.valueOf(value), "empty URI");
        }
        try {
            Path target = sandbox.resolve(outputName(uri));
            if (!target.normalize().startsWith(sandbox.normalize())) {
                throw new FetchException(value, "output file would be outside the sandbox");
            }
            String lower = value.toLowerCase(Locale.ROOT);
            UriFetcher plugin = plugins.get(scheme(lower));
            if (lower.startsWith("http://") || lower.startsWith("https://")) {
                download(value, target);
            } else if (plugin != null) {
                plugin.fetch(URI.create(value), target);
            } else if (!scheme(lower).isEmpty() && !lower.startsWith("file:")) {
                throw new FetchException(value, "no fetcher for scheme '" + scheme(lower)
                        + "' on this agent (a UriFetcher plug-in on its classpath brings one)");
            } else {
                Path source = lower.startsWith("file:") ? Path.of(URI.create(value)) : Path.of(value);
                Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
            }
            if (Boolean.TRUE.equals(uri.executable())) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(target);
                perms.add(PosixFilePermission.OWNER_EXECUTE);
                perms.add(PosixFilePermission.GROUP_EXECUTE);
                perms.add(PosixFilePermission.OTHERS_EXECUTE);
                Files.setPosixFilePermissions(target, perms);
            }
            if (Boolean.TRUE.equals(uri.extract())) {
                extract(target, sandbox);
            }
            LOG.debug("fetched {} into {}", value, target);
            return target;
        } catch (NoSuchFileException e) {
            throw new FetchException(value, "no such file " + e.getFile());
        } catch (IOException | IllegalArgumentException e) {
            throw new FetchException(value, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /** The scheme of a URI-looking value ({@code hdfs://…}), or "" for a plain path. */
    static String scheme(String lower) {
        int colon = lower.indexOf("://");
        return colon > 0 && lower.substring(0, colon).chars().allMatch(c -> Character.isLetterOrDigit(c)
                || c == '+' || c == '-' || c == '.') ? lower.substring(0, colon) : "";
    }

    static String outputName(FetchUri uri) throws FetchException {
        String name = uri.outputFile();
        if (name == null || name.isBlank()) {
            String path = uri.value();
            int q = path.indexOf('?');
            path = q >= 0 ? path.substring(0, q) : path;
            while (path.endsWith("/")) {
                path = path.substring(0, path.length() - 1);
            }
            name = path.substring(path.lastIndexOf('/') + 1);
        }
        if (name.isBlank() || name.equals(".") || name.equals("..")) {
            throw new FetchException(uri.value(), "cannot derive a file name; set outputFile");
        }
        return name;
    }

    private void download(String uri, Path target) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(uri)).GET().build();
        HttpResponse<InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = resp.body()) {
            if (resp.statusCode() != 200) {
                throw new IOException("HTTP " + resp.statusCode());
            }
            Files.copy(body, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void extract(Path archive, Path into) throws IOException, InterruptedException {
        String name = archive.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".zip")) {
            unzip(archive, into);
        } else if (name.endsWith(".tar.gz") || name.endsWith(".tgz") || name.endsWith(".tar")) {
            // GNU tar refuses members with absolute or ".." paths unless told otherwise, so it cannot escape `into`.
            Process tar = new ProcessBuilder("tar", "-xf", archive.toString(), "-C", into.toString())
                    .redirectErrorStream(true)
                    .start();
            String out = new String(tar.getInputStream().readAllBytes()).trim();
            int code = tar.waitFor();
            if (code != 0) {
                throw new IOException("tar exited with status " + code + (out.isEmpty() ? "" : ": " + out));
            }
        } else {
            throw new IOException("cannot extract '" + archive.getFileName() + "': not a .tar, .tar.gz, .tgz or .zip");
        }
    }

    private static void unzip(Path archive, Path into) throws IOException {
        Path base = into.toAbsolutePath().normalize();
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(archive))) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                Path out = base.resolve(e.getName()).normalize();
                if (!out.startsWith(base)) {
                    throw new IOException("zip entry '" + e.getName() + "' would be outside the sandbox");
                }
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                } else {
                    Files.createDirectories(out.getParent());
                    Files.copy(zip, out, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
