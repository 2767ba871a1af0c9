package dev.tower.agent.fetcher;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Set;

/**
 * Brings URIs of schemes the agent does not know itself ({@code hdfs://}, {@code s3a://}, ...) into a sandbox. Found
 * with {@link java.util.ServiceLoader} on the agent's classpath; the agent keeps {@code http(s)://}, {@code file:}
 * and plain paths for itself.
 */
public interface UriFetcher {

    /** The URI schemes this fetcher brings, lower case ({@code "hdfs"}). */
    Set<String> schemes();

    /**
     * Copies {@code uri} to {@code target} (a file in the sandbox that may not exist yet); the agent then applies the
     * URI's {@code executable} and {@code extract} flags.
     */
    void fetch(URI uri, Path target) throws IOException, InterruptedException;
}
