package dev.tower.agent;

import dev.tower.api.model.Resources;

import dev.tower.agent.containerizer.DockerSettings;
import dev.tower.agent.isolation.IsolationSettings;
import dev.tower.agent.security.AgentSecurity;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How an agent is started.
 *
 * @param masters {@code host:port[,host:port]}, as accepted by {@link dev.tower.api.detect.MasterUrls}
 * @param hostname the address the agent advertises to the master (and through it to frameworks)
 * @param port the HTTP port of {@code /files} and {@code /api/v1/state}; 0 picks a free one
 * @param resources what the agent offers; null means detect from the machine
 * @param sandboxGcDelay how long a finished task's sandbox stays browsable after its last update is acknowledged
 * @param statusRetry first wait before an unacknowledged status update is sent again (doubling up to 60 s)
 * @param docker what Docker tasks may do on this agent, and where its engine is
 * @param isolation whether and how process tasks are limited (cgroups)
 * @param security who may call the agent, how it calls the master, TLS ({@link AgentSecurity#OFF} when null)
 * @param taskUser the user process tasks run as unless a task or its framework names one; null for the agent's own
 *                 user (what embedded clusters use). Running tasks as another user takes a root agent.
 */
public record AgentConfig(
        String masters,
        String hostname,
        int port,
        Path workDir,
        Resources resources,
        Map<String, String> attributes,
        Duration sandboxGcDelay,
        Duration statusRetry,
        DockerSettings docker,
        IsolationSettings isolation,
        AgentSecurity security,
        String taskUser) {

    public static final String DEFAULT_HOSTNAME = "127.0.0.1";
    public static final int DEFAULT_PORT = 5051;
    public static final Duration DEFAULT_SANDBOX_GC_DELAY = Duration.ofHours(1);
    public static final Duration DEFAULT_STATUS_RETRY = Duration.ofSeconds(5);

    public AgentConfig {
        Objects.requireNonNull(masters, "masters");
        Objects.requireNonNull(workDir, "workDir");
        hostname = hostname == null || hostname.isBlank() ? DEFAULT_HOSTNAME : hostname;
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be within 0..65535, got " + port);
        }
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
        sandboxGcDelay = sandboxGcDelay == null ? DEFAULT_SANDBOX_GC_DELAY : sandboxGcDelay;
        if (sandboxGcDelay.isNegative()) {
            throw new IllegalArgumentException("sandboxGcDelay must not be negative, got " + sandboxGcDelay);
        }
        statusRetry = statusRetry == null ? DEFAULT_STATUS_RETRY : statusRetry;
        if (statusRetry.isNegative() || statusRetry.isZero()) {
            throw new IllegalArgumentException("statusRetry must be positive, got " + statusRetry);
        }
        docker = docker == null ? DockerSettings.DEFAULTS : docker;
        isolation = isolation == null ? IsolationSettings.DEFAULTS : isolation;
        security = security == null ? AgentSecurity.OFF : security;
        taskUser = taskUser == null || taskUser.isBlank() ? null : taskUser.strip();
    }

    public static AgentConfig defaults(String masters, Path workDir) {
        return new AgentConfig(masters, DEFAULT_HOSTNAME, DEFAULT_PORT, workDir, null, Map.of(), DEFAULT_SANDBOX_GC_DELAY,
                DEFAULT_STATUS_RETRY, DockerSettings.DEFAULTS, IsolationSettings.DEFAULTS, AgentSecurity.OFF, null);
    }

    public AgentConfig withHostname(String newHostname) {
        return new AgentConfig(masters, newHostname, port, workDir, resources, attributes, sandboxGcDelay, statusRetry, docker,
                isolation, security, taskUser);
    }

    public AgentConfig withPort(int newPort) {
        return new AgentConfig(masters, hostname, newPort, workDir, resources, attributes, sandboxGcDelay, statusRetry, docker,
                isolation, security, taskUser);
    }

    public AgentConfig withResources(Resources newResources) {
        return new AgentConfig(masters, hostname, port, workDir, newResources, attributes, sandboxGcDelay, statusRetry, docker,
                isolation, security, taskUser);
    }

    public AgentConfig withAttributes(Map<String, String> newAttributes) {
        return new AgentConfig(masters, hostname, port, workDir, resources, newAttributes, sandboxGcDelay, statusRetry, docker,
                isolation, security, taskUser);
    }

    public AgentConfig withSandboxGcDelay(Duration delay) {
        return new AgentConfig(masters, hostname, port, workDir, resources, attributes, delay, statusRetry, docker,
                isolation, security, taskUser);
    }

    public AgentConfig withMasters(String newMasters) {
        return new AgentConfig(newMasters, hostname, port, workDir, resources, attributes, sandboxGcDelay, statusRetry, docker,
                isolation, security, taskUser);
    }

    public AgentConfig withDocker(DockerSettings d) {
        return new AgentConfig(masters, hostname, port, workDir, resources, attributes, sandboxGcDelay, statusRetry, d,
                isolation, security, taskUser);
    }

    public AgentConfig withIsolation(IsolationSettings i) {
        return new AgentConfig(masters, hostname, port, workDir, resources, attributes, sandboxGcDelay, statusRetry, docker,
                i, security, taskUser);
    }

    public AgentConfig withSecurity(AgentSecurity s) {
        return new AgentConfig(masters, hostname, port, workDir, resources, attributes, sandboxGcDelay, statusRetry, docker,
                isolation, s, taskUser);
    }

    public AgentConfig withTaskUser(String user) {
        return new AgentConfig(masters, hostname, port, workDir, resources, attributes, sandboxGcDelay, statusRetry, docker,
                isolation, security, user);
    }

    public AgentConfig withStatusRetry(Duration retry) {
        return new AgentConfig(masters, hostname, port, workDir, resources, attributes, sandboxGcDelay, retry, docker,
                isolation, security, taskUser);
    }
}
