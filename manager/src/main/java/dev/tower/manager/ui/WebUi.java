package dev.tower.manager.ui;

import org.glassfish.grizzly.http.Method;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The web UI's files, served by the master: {@code /ui/*} are its assets, and every page address ({@code /},
 * {@code /agents/ID}, {@code /tasks?state=RUNNING}, …) answers the one page, whose script shows what the address
 * names — so every view has a real URL that can be bookmarked and shared. The files are plain HTML, CSS and
 * JavaScript in the manager's jar (no build step), read once at start-up.
 */
public final class WebUi {
    private static final String ROOT = "/dev/tower/manager/ui/static/";
    private static final Pattern PAGE = Pattern.compile("/|/(agents|frameworks|tasks|events)(/[^/]+)?/?");
    private static final Map<String, String> TYPES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "style.css", "text/css; charset=utf-8",
            "favicon.svg", "image/svg+xml");
    /**
     * Scripts and styles from the master only: no inline script can run even if a task's name carries one. The page
     * may read other masters' {@code /health}, to find the leader when its own master is gone.
     */
    private static final String POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self' http: https:; frame-ancestors 'none'";

    private final Map<String, byte[]> files;

    public WebUi() {
        this.files = Map.of(
                "index.html", load("index.html"),
                "app.js", load("app.js"),
                "style.css", load("style.css"),
                "favicon.svg", load("favicon.svg"));
    }

    private static byte[] load(String name) {
        try (InputStream in = WebUi.class.getResourceAsStream(ROOT + name)) {
            if (in == null) {
                throw new IllegalStateException("the web UI's " + name + " is missing from the manager's jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether this request is for the UI (a page address asked for by a browser, or an asset). */
    public boolean handles(Request request) {
        if (request.getMethod() != Method.GET && request.getMethod() != Method.HEAD) {
            return false;
        }
        String path = request.getRequestURI();
        if (path.startsWith("/ui/")) {
            return true;
        }
        String accept = request.getHeader("Accept");
        return PAGE.matcher(path).matches() && (path.equals("/") || accept != null && accept.contains("text/html"));
    }

    public void serve(Request request, Response response) throws IOException {
        String path = request.getRequestURI();
        String name = path.startsWith("/ui/") ? path.substring(4) : "index.html";
        byte[] body = files.get(name);
        response.setHeader("Cache-Control", "no-cache");
        response.setHeader("X-Content-Type-Options", "nosniff");
        if (body == null) {
            response.setStatus(404);
            response.setContentType("text/plain; charset=utf-8");
            body = ("no such file of the web UI: " + name + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        } else {
            response.setStatus(200);
            response.setContentType(TYPES.get(name));
            if (name.equals("index.html")) {
                response.setHeader("Content-Security-Policy", POLICY);
            }
        }
        response.setContentLength(body.length);
        if (request.getMethod() == Method.GET) {
            response.getOutputStream().write(body);
        }
    }
}
