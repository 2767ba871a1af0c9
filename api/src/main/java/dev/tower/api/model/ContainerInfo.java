package dev.tower.api.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Runs a task in a container instead of as a plain process: for now a Docker container, on agents whose Docker engine
 * answered at start-up (they carry the attribute {@code containerizers} with {@code docker} in it). The task's
 * {@link CommandInfo} then overrides the image's command when it has a value (a shell command runs under
 * {@code /bin/sh -c} in the image; an argv replaces the entrypoint and its arguments), and gives the environment and
 * the user. Its sandbox is mounted at {@link #SANDBOX_MOUNT}; its stdout and stderr land in the sandbox as for a
 * process task. CPU shares and quota and the memory limit come from the task's resources.
 *
 * @param type only {@link Type#DOCKER} so far
 * @param image an image the engine has or can pull, e.g. {@code busybox:latest}
 * @param pullPolicy when to pull the image; {@link PullPolicy#IF_NOT_PRESENT} when null
 * @param network {@link Network#BRIDGE} when null
 * @param portMappings container ports published on host ports taken from the task's {@code ports} resources, in order
 *                     when a mapping names no host port; the host ports are also in {@code PORT0}, {@code PORT1}...
 * @param volumes host paths mounted into the container, only under the paths the agent allows
 * @param privileged refused unless the agent allows privileged containers
 * @param labels added to the container's labels (Tower's own, {@code dev.tower.*}, cannot be overridden)
 */
public record ContainerInfo(
        Type type,
        String image,
        PullPolicy pullPolicy,
        Network network,
        List<PortMapping> portMappings,
        List<Volume> volumes,
        Boolean privileged,
        Map<String, String> labels) {

    /** Where the task's sandbox appears inside its container. */
    public static final String SANDBOX_MOUNT = "/mnt/sandbox";

    public ContainerInfo {
        type = type == null ? Type.DOCKER : type;
        pullPolicy = pullPolicy == null ? PullPolicy.IF_NOT_PRESENT : pullPolicy;
        network = network == null ? Network.BRIDGE : network;
        portMappings = portMappings == null ? List.of() : List.copyOf(portMappings);
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** A Docker container of {@code image} with the defaults: pulled if not present, bridge network. */
    public static ContainerInfo docker(String image) {
        return new ContainerInfo(Type.DOCKER, image, null, null, null, null, null, null);
    }

    public ContainerInfo withNetwork(Network v) {
        return new ContainerInfo(type, image, pullPolicy, v, portMappings, volumes, privileged, labels);
    }

    public ContainerInfo withPullPolicy(PullPolicy v) {
        return new ContainerInfo(type, image, v, network, portMappings, volumes, privileged, labels);
    }

    public ContainerInfo withPortMappings(List<PortMapping> v) {
        return new ContainerInfo(type, image, pullPolicy, network, v, volumes, privileged, labels);
    }

    public ContainerInfo withVolumes(List<Volume> v) {
        return new ContainerInfo(type, image, pullPolicy, network, portMappings, v, privileged, labels);
    }

    public ContainerInfo withPrivileged(boolean v) {
        return new ContainerInfo(type, image, pullPolicy, network, portMappings, volumes, v, labels);
    }

    public boolean isPrivileged() {
        return privileged != null && privileged;
    }

    /**
     * The host port of each mapping, in order: its own {@code hostPort}, or else the next of {@code taskPorts} that no
     * mapping names. Call after {@link #validate} accepted the task.
     */
    public List<Integer> hostPorts(List<Long> taskPorts) {
        Set<Long> named = new HashSet<>();
        portMappings.forEach(m -> {
            if (m.hostPort() != null) {
                named.add((long) m.hostPort());
            }
        });
        List<Long> free = new ArrayList<>(taskPorts.stream().filter(p -> !named.contains(p)).toList());
        List<Integer> out = new ArrayList<>();
        for (PortMapping m : portMappings) {
            out.add(m.hostPort() != null ? m.hostPort() : free.remove(0).intValue());
        }
        return out;
    }

    /**
     * What is wrong with this container for a task with {@code resources}, naming the field under {@code field}
     * (e.g. {@code operations[0].tasks[1].container}); empty when nothing is.
     */
    public Optional<String> validate(String field, Resources resources) {
        if (image == null || image.isBlank()) {
            return Optional.of(field + ".image: missing");
        }
        if (image.chars().anyMatch(Character::isWhitespace)) {
            return Optional.of(field + ".image: '" + image + "' is not an image name");
        }
        List<Long> taskPorts = new ArrayList<>();
        for (Range r : resources.ranges(Resources.PORTS)) {
            for (long p = r.begin(); p <= r.end() && taskPorts.size() <= 65536; p++) {
                taskPorts.add(p);
            }
        }
        if (!portMappings.isEmpty() && network != Network.BRIDGE) {
            return Optional.of(field + ".portMappings: ports are mapped only on the bridge network (network is "
                    + network + ")");
        }
        Set<Integer> containerPorts = new HashSet<>();
        Set<Long> hostPorts = new HashSet<>();
        int unnamed = 0;
        for (int i = 0; i < portMappings.size(); i++) {
            PortMapping m = portMappings.get(i);
            String f = field + ".portMappings[" + i + "]";
            if (m == null) {
                return Optional.of(f + ": missing");
            }
            if (m.containerPort() < 1 || m.containerPort() > 65535) {
                return Optional.of(f + ".containerPort: must be within 1..65535, got " + m.containerPort());
            }
            if (!containerPorts.add(m.containerPort() * 2 + (m.protocol() == Protocol.UDP ? 1 : 0))) {
                return Optional.of(f + ".containerPort: " + m.containerPort() + " is mapped twice");
            }
            if (m.hostPort() == null) {
                unnamed++;
            } else if (!taskPorts.contains((long) m.hostPort())) {
                return Optional.of(f + ".hostPort: " + m.hostPort() + " is not one of the task's ports resources "
                        + resources.ranges(Resources.PORTS));
            } else if (!hostPorts.add((long) m.hostPort())) {
                return Optional.of(f + ".hostPort: " + m.hostPort() + " is used twice");
            }
        }
        if (unnamed > taskPorts.size() - hostPorts.size()) {
            return Optional.of(field + ".portMappings: " + portMappings.size() + " mappings need as many ports in the"
                    + " task's resources, which has " + taskPorts.size());
        }
        for (int i = 0; i < volumes.size(); i++) {
            Volume v = volumes.get(i);
            String f = field + ".volumes[" + i + "]";
            if (v == null) {
                return Optional.of(f + ": missing");
            }
            if (v.hostPath() == null || !v.hostPath().startsWith("/")) {
                return Optional.of(f + ".hostPath: must be an absolute path, got " + v.hostPath());
            }
            if (v.containerPath() == null || !v.containerPath().startsWith("/")) {
                return Optional.of(f + ".containerPath: must be an absolute path, got " + v.containerPath());
            }
            if (v.containerPath().equals(SANDBOX_MOUNT) || v.containerPath().startsWith(SANDBOX_MOUNT + "/")) {
                return Optional.of(f + ".containerPath: " + SANDBOX_MOUNT + " is the task's sandbox");
            }
        }
        return Optional.empty();
    }

    public enum Type {
        DOCKER;

        @JsonValue
        public String json() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static Type parse(String s) {
            return Enums.parse(Type.class, s, "type");
        }
    }

    /** When the agent pulls the image: {@code never}, {@code if-not-present} or {@code always}. */
    public enum PullPolicy {
        NEVER, IF_NOT_PRESENT, ALWAYS;

        @JsonValue
        public String json() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        @JsonCreator
        public static PullPolicy parse(String s) {
            return Enums.parse(PullPolicy.class, s, "pullPolicy");
        }
    }

    /** {@code host} (the agent's network stack), {@code bridge} (the engine's default bridge) or {@code none}. */
    public enum Network {
        HOST, BRIDGE, NONE;

        @JsonValue
        public String json() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static Network parse(String s) {
            return Enums.parse(Network.class, s, "network");
        }
    }

    public enum Protocol {
        TCP, UDP;

        @JsonValue
        public String json() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static Protocol parse(String s) {
            return Enums.parse(Protocol.class, s, "protocol");
        }
    }

    /**
     * A container port published on a host port.
     *
     * @param hostPort one of the task's {@code ports} resources; the next unnamed one when null
     * @param protocol {@code tcp} when null
     */
    public record PortMapping(int containerPort, Integer hostPort, Protocol protocol) {
        public PortMapping {
            protocol = protocol == null ? Protocol.TCP : protocol;
        }

        public static PortMapping of(int containerPort) {
            return new PortMapping(containerPort, null, Protocol.TCP);
        }
    }

    /**
     * A host path mounted into the container.
     *
     * @param mode {@code ro} when null; {@code rw} only where the agent allows writing
     */
    public record Volume(String hostPath, String containerPath, Mode mode) {
        public Volume {
            mode = mode == null ? Mode.RO : mode;
        }

        public boolean writable() {
            return mode == Mode.RW;
        }
    }

    public enum Mode {
        RO, RW;

        @JsonValue
        public String json() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        public static Mode parse(String s) {
            return Enums.parse(Mode.class, s, "mode");
        }
    }

    /** Lenient names: any case, {@code -} or {@code _}. */
    private static final class Enums {
        static <E extends Enum<E>> E parse(Class<E> type, String s, String field) {
            if (s == null) {
                return null;
            }
            String n = s.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            for (E e : type.getEnumConstants()) {
                if (e.name().equals(n)) {
                    return e;
                }
            }
            List<String> names = new ArrayList<>();
            for (E e : type.getEnumConstants()) {
                names.add(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
            throw new IllegalArgumentException(field + ": '" + s + "' is not one of " + String.join(", ", names));
        }
    }
}
