package dev.tower.agent.containerizer;

import java.nio.file.Path;
import java.util.List;

/**
 * What an agent lets Docker tasks do ({@code tower agent --docker-*} flags).
 *
 * @param socket the engine's API socket; {@code /var/run/docker.sock} by default
 * @param allowedVolumes host paths under which tasks may mount volumes (nothing else may be mounted, the sandbox
 *                       aside); a task may mount one read-write only where its rule says so
 * @param allowPrivileged whether tasks may ask for privileged containers (off by default: they can take the machine)
 * @param enabled false turns Docker tasks off on this agent, engine or not
 */
public record DockerSettings(Path socket, List<VolumeRule> allowedVolumes, boolean allowPrivileged, boolean enabled) {
    public static final Path DEFAULT_SOCKET = Path.of("/var/run/docker.sock");
    public static final DockerSettings DEFAULTS = new DockerSettings(DEFAULT_SOCKET, List.of(), false, true);

    public DockerSettings {
        socket = socket == null ? DEFAULT_SOCKET : socket;
        allowedVolumes = allowedVolumes == null ? List.of() : List.copyOf(allowedVolumes);
    }

    /**
     * A host path under which volumes may be mounted.
     *
     * @param path an absolute, normalised path
     * @param writable whether mounts under it may be read-write
     */
    public record VolumeRule(Path path, boolean writable) {
        /** {@code /path} or {@code /path:ro} (read-only), or {@code /path:rw} (read-write). */
        public static VolumeRule parse(String s) {
            String p = s;
            boolean rw = false;
            if (s.endsWith(":rw") || s.endsWith(":ro")) {
                rw = s.endsWith(":rw");
                p = s.substring(0, s.length() - 3);
            }
            Path path = Path.of(p);
            if (!path.isAbsolute()) {
                throw new IllegalArgumentException("--docker-allow-volume: '" + s + "' is not an absolute path");
            }
            return new VolumeRule(path.normalize(), rw);
        }
    }
}
