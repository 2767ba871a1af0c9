package dev.tower.cli.cluster;

import dev.tower.agent.Agent;
import dev.tower.agent.AgentConfig;
import dev.tower.api.model.Resources;
import dev.tower.manager.Master;
import dev.tower.manager.MasterOptions;
import dev.tower.manager.core.MasterConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A master and N agents in this JVM, for {@code tower up}, {@code tower demo} and tests. Tasks are child processes. */
public final class LocalCluster implements AutoCloseable {
    private final Master master;
    private final List<Agent> agents = new ArrayList<>();

    private LocalCluster(Master master) {
        this.master = master;
    }

    /**
     * @param port the master's port (0: any free port); agents take the following ports, or free ports when 0
     * @param agentResources each agent's resources, without ports: each agent gets its own range of 1000 ports
     */
    public static LocalCluster start(Path workDir, int port, int agentCount, Resources agentResources,
                                     Map<String, Double> weights) {
        MasterOptions options = MasterOptions.defaults(workDir.resolve("master"))
                .withPort(port).withCore(MasterConfig.defaults().withWeights(weights));
        LocalCluster cluster = new LocalCluster(Master.start(options));
        try {
            for (int i = 0; i < agentCount; i++) {
                Resources ports = Resources.parse("ports:[" + (31000 + i * 1000) + "-" + (31999 + i * 1000) + "]");
                AgentConfig config = AgentConfig.defaults(cluster.master.address(), workDir.resolve("agent-" + (i + 1)))
                        .withPort(port == 0 ? 0 : port + 1 + i)
                        .withResources(agentResources.plus(ports))
                        .withAttributes(Map.of("agent", Integer.toString(i + 1)));
                cluster.agents.add(Agent.start(config));
            }
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /** Waits until every agent has subscribed to the master. */
    public boolean awaitAgents(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Agent a : agents) {
            while (!a.isSubscribed()) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                Thread.sleep(20);
            }
        }
        return true;
    }

    public Master master() {
        return master;
    }

    public List<Agent> agents() {
        return agents;
    }

    public String masterUrl() {
        return "http://" + master.address();
    }

    @Override
    public void close() {
        for (Agent a : agents) {
            try {
                a.shutdownTasks();
            } finally {
                a.close();
            }
        }
        master.close();
    }
}
