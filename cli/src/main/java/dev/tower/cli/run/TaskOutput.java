package dev.tower.cli.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.codec.Json;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Copies a task's {@code stdout} and {@code stderr} from its agent's files API to the terminal while it runs, and
 * drains what is left once it has ended.
 */
final class TaskOutput {
    private static final int CHUNK = 64 * 1024;

    private final Files files;
    private final String frameworkId;
    private final String taskId;
    private final String prefix;
    private long stdoutOffset;
    private long stderrOffset;

    /** Reads the agent's {@code /files/read?QUERY}: the body of a 200, else null (not there yet). */
    @FunctionalInterface
    interface Files {
        String read(String query) throws IOException, InterruptedException;

        /** Straight from the agent. */
        static Files ofAgent(HttpClient http, URI agent) {
            return query -> {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(agent.resolve("/files/read?" + query))
                        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
                return r.statusCode() == 200 ? r.body() : null;
            };
        }
    }

    TaskOutput(Files files, String frameworkId, String taskId, String prefix) {
        this.files = files;
        this.frameworkId = frameworkId;
        this.taskId = taskId;
        this.prefix = prefix;
    }

    /** Copies whatever is new; returns whether anything was. */
    boolean poll(PrintStream out, PrintStream err) {
        long o = copy("stdout", stdoutOffset, out);
        long e = copy("stderr", stderrOffset, err);
        boolean progressed = o != stdoutOffset || e != stderrOffset;
        stdoutOffset = o;
        stderrOffset = e;
        return progressed;
    }

    /** After the task ended: everything left, until both files are read to the end. */
    void drain(PrintStream out, PrintStream err) {
        for (int i = 0; i < 10_000 && poll(out, err); i++) {
            // each round copies up to one chunk per file
        }
    }

    private long copy(String file, long offset, PrintStream to) {
        String q = "task=" + enc(taskId) + "&framework=" + enc(frameworkId) + "&path=" + file
                + "&offset=" + offset + "&length=" + CHUNK;
        try {
            String body = files.read(q);
            if (body == null) {
                return offset; // not there yet (the sandbox is created when the task starts)
            }
            JsonNode chunk = Json.mapper().readTree(body);
            String data = chunk.path("data").asText("");
            long size = chunk.path("size").asLong(offset);
            if (!data.isEmpty()) {
                if (prefix.isEmpty()) {
                    to.print(data);
                } else {
                    to.print(data.replaceAll("(?m)^(?=.)", prefix));
                }
                to.flush();
            }
            return Math.min(size, offset + CHUNK);
        } catch (IOException e) {
            return offset;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return offset;
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
