package dev.tower.agent.http;

import dev.tower.agent.sandbox.SandboxEscapeException;
import dev.tower.agent.sandbox.SandboxFiles;
import dev.tower.agent.sandbox.Sandboxes;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.List;

/**
 * {@code /files}: read and list a task's sandbox. Tasks are found by their sandbox on disk, so the output of a
 * finished task stays readable until its sandbox is collected.
 */
@Path("/files")
@Produces(MediaType.APPLICATION_JSON)
public final class FilesResource {
    private final Sandboxes sandboxes;

    @Inject
    public FilesResource(Sandboxes sandboxes) {
        this.sandboxes = sandboxes;
    }

    @GET
    @Path("read")
    public Response read(@QueryParam("task") String task, @QueryParam("framework") String framework,
                       @QueryParam("path") String path, @QueryParam("offset") String offset,
                       @QueryParam("length") String length) {
        SandboxFiles files = files(task, framework);
        String p = required("path", path);
        long off = number("offset", offset, 0);
        if (off < -1) {
            throw ApiException.badRequest("offset: must be >= 0, or -1 for the size only; got " + off);
        }
        long len = number("length", length, SandboxFiles.MAX_READ);
        if (len < 0) {
            throw ApiException.badRequest("length: must be >= 0; got " + len);
        }
        try {
            return JsonErrors.json(200, files.read(p, off, (int) Math.min(len, SandboxFiles.MAX_READ)));
        } catch (SandboxEscapeException e) {
            throw ApiException.badRequest("path: escapes the sandbox");
        } catch (NoSuchFileException e) {
            throw ApiException.notFound("path: no such file '" + p + "'");
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("path: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @GET
    @Path("browse")
    public Response browse(@QueryParam("task") String task, @QueryParam("framework") String framework,
                         @QueryParam("path") String path) {
        SandboxFiles files = files(task, framework);
        String p = path == null || path.isEmpty() ? "." : path;
        try {
            List<SandboxFiles.Entry> entries = files.browse(p);
            return JsonErrors.json(200, entries);
        } catch (SandboxEscapeException e) {
            throw ApiException.badRequest("path: escapes the sandbox");
        } catch (NoSuchFileException e) {
            throw ApiException.notFound("path: no such file or directory '" + p + "'");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private SandboxFiles files(String task, String framework) {
        String t = required("task", task);
        try {
            if (framework != null && !framework.isEmpty()) {
                return new SandboxFiles(sandboxes.find(framework, t).orElseThrow(() ->
                        ApiException.notFound("task: unknown task '" + t + "' in framework '" + framework + "'")));
            }
            List<String> fws = sandboxes.frameworksWithTask(t);
            if (fws.isEmpty()) {
                throw ApiException.notFound("task: unknown task '" + t + "'");
            }
            if (fws.size() > 1) {
                throw ApiException.badRequest("framework: task '" + t + "' exists in frameworks " + fws + "; name one");
            }
            return new SandboxFiles(sandboxes.pathOf(fws.get(0), t));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("task: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String required(String name, String value) {
        if (value == null || value.isEmpty()) {
            throw ApiException.badRequest(name + ": missing");
        }
        return value;
    }

    private static long number(String name, String value, long otherwise) {
        if (value == null || value.isEmpty()) {
            return otherwise;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name + ": '" + value + "' is not an integer");
        }
    }
}
