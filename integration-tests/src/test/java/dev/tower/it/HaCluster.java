package dev.tower.it;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import static org.awaitility.Awaitility.await;

/**
 * A highly available Tower: a real 3-server ZooKeeper ensemble (in this JVM), master processes that reach each
 * ZooKeeper server through a {@link TcpProxy} of their own (so a test can partition one master from ZooKeeper), and
 * agent processes. Everything is stopped by {@link #close()}.
 */
final class HaCluster implements AutoCloseable {
    static final String ZK_ROOT = "/tower";
    /** tickTime 500 ms lets the masters ask for 2 s sessions (ZooKeeper allows 2 to 20 ticks). */
    private static final int TICK_MS = 500;

    record MasterNode(int index, int port, TowerProcess process, List<TcpProxy> zkProxies) {
        String address() {
            return "127.0.0.1:" + port;
        }
    }

    private final TestingCluster zk;
    private final List<InstanceSpec> zkServers;
    private final Cluster processes;
    private final List<MasterNode> masters = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(2)).build();
    private final String sessionTimeout;
    private final String reregisterTimeout;
    private final List<TowerProcess> agents = new ArrayList<>();

    private HaCluster(String name, String sessionTimeout, String reregisterTimeout) throws Exception {
        List<InstanceSpec> specs = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            specs.add(new InstanceSpec(null, -1, -1, -1, true, id, TICK_MS, -1));
        }
        this.zk = new TestingCluster(specs);
        this.zkServers = List.copyOf(specs);
        this.processes = Cluster.bare(name);
        this.sessionTimeout = sessionTimeout;
        this.reregisterTimeout = reregisterTimeout;
        zk.start();
    }

    /** Starts the ensemble, {@code masters} masters and {@code agents} agents; waits for a leader and the agents. */
    static HaCluster start(String name, int masters, int agents, String sessionTimeout, String reregisterTimeout)
            throws Exception {
        HaCluster c = new HaCluster(name, sessionTimeout, reregisterTimeout);
        try {
            for (int i = 0; i < masters; i++) {
                c.startMaster(i);
            }
            c.awaitLeader(Duration.ofSeconds(30));
            for (int i = 0; i < agents; i++) {
                c.startAgent();
            }
            c.awaitActiveAgents(agents, Duration.ofSeconds(30));
            return c;
        } catch (Exception | Error e) {
            c.processes.printLogTails();
            c.close();
            throw e;
        }
    }

    /** The URL agents, frameworks and the CLI use: straight to the ensemble. */
    String zkUrl() {
        return "zk://" + zk.getConnectString() + ZK_ROOT;
    }

    Cluster processes() {
        return processes;
    }

    List<MasterNode> masters() {
        return masters;
    }

    private void startMaster(int index) {
        List<TcpProxy> proxies = new ArrayList<>();
        for (InstanceSpec s : zkServers) {
            proxies.add(new TcpProxy("m" + index + "-zk" + s.getServerId(), s.getPort()));
        }
        MasterNode m = launchMaster(index, Cluster.freePort(), proxies);
        masters.add(m);
    }

    private MasterNode launchMaster(int index, int port, List<TcpProxy> proxies) {
        String connect = proxies.stream().map(p -> "127.0.0.1:" + p.port()).collect(Collectors.joining(","));
        TowerProcess p = processes.tower("master" + index, List.of("master",
                "--zk", "zk://" + connect + ZK_ROOT,
                "--zk-session-timeout", sessionTimeout,
                "--agent-reregister-timeout", reregisterTimeout,
                "--agent-unreachable-timeout", "60s",
                "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--work-dir", processes.workDir().resolve("master" + index).toString()));
        return new MasterNode(index, port, p, proxies);
    }

    /** Starts master {@code index} again on its old port, after {@link #kill}. */
    void restart(MasterNode m) {
        m.zkProxies().forEach(TcpProxy::heal);
        masters.set(m.index(), launchMaster(m.index(), m.port(), m.zkProxies()));
    }

    TowerProcess startAgent() {
        TowerProcess p = processes.startAgent("cpus:4;mem:4096", zkUrl());
        agents.add(p);
        return p;
    }

    List<TowerProcess> agents() {
        return agents;
    }

    /** SIGKILL of an agent JVM; its tasks run on (and are killed by {@link #close()}). */
    void kill(TowerProcess agent) {
        processes.killForcibly(agent);
    }

    /** The killed agent started again on the same work dir and port. */
    TowerProcess restart(TowerProcess agent) {
        TowerProcess p = processes.restartAgent(agent);
        agents.set(agents.indexOf(agent), p);
        return p;
    }

    /** Every agent's {@code /api/v1/state} task list: what the agents run and still hold unacknowledged updates of. */
    List<JsonNode> agentTasks() {
        List<JsonNode> out = new ArrayList<>();
        agents.forEach(a -> out.addAll(agentTasks(a)));
        return out;
    }

    List<JsonNode> agentTasks(TowerProcess agent) {
        List<JsonNode> out = new ArrayList<>();
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + processes.agentPort(agent) + "/api/v1/state"))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            Cluster.readTree(r.body()).path("tasks").forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** The agent whose state lists this task. */
    TowerProcess agentOf(String taskId) {
        return agents.stream().filter(a -> agentTasks(a).stream()
                        .anyMatch(t -> taskId.equals(t.path("taskId").asText())))
                .findFirst().orElseThrow(() -> new AssertionError("no agent runs " + taskId));
    }

    /** SIGKILL of a master JVM. */
    void kill(MasterNode m) {
        m.process().process().destroyForcibly();
        try {
            m.process().process().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Cuts every connection between this master and ZooKeeper, and refuses new ones. */
    void partitionFromZooKeeper(MasterNode m) {
        m.zkProxies().forEach(TcpProxy::cut);
    }

    /** The ZooKeeper server this master's session is connected to (the one whose proxy carries a connection). */
    InstanceSpec zkServerOf(MasterNode m) {
        for (int i = 0; i < zkServers.size(); i++) {
            if (m.zkProxies().get(i).connections() > 0) {
                return zkServers.get(i);
            }
        }
        throw new AssertionError("master " + m.index() + " has no ZooKeeper connection");
    }

    void killZooKeeperServer(InstanceSpec s) throws Exception {
        zk.killServer(s);
    }

    // ---- what the masters say ----

    Optional<JsonNode> health(MasterNode m) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + m.address() + "/health"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Optional.of(Cluster.readTree(r.body())) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    boolean isLeader(MasterNode m) {
        return m.process().process().isAlive()
                && health(m).map(h -> "leader".equals(h.path("role").asText())).orElse(false);
    }

    long epoch(MasterNode m) {
        return health(m).map(h -> h.path("epoch").asLong()).orElse(-1L);
    }

    Optional<MasterNode> leader() {
        return masters.stream().filter(this::isLeader).findFirst();
    }

    MasterNode awaitLeader(Duration timeout) {
        await("a leading master").atMost(timeout).pollInterval(Duration.ofMillis(100))
                .until(() -> leader().isPresent());
        return leader().orElseThrow();
    }

    /** Waits for a leader other than {@code old}, with a higher epoch. */
    MasterNode awaitNewLeader(MasterNode old, long oldEpoch, Duration timeout) {
        await("a new leader after master " + old.index()).atMost(timeout).pollInterval(Duration.ofMillis(100))
                .until(() -> masters.stream().anyMatch(m -> m.index() != old.index() && isLeader(m)
                        && epoch(m) > oldEpoch));
        return masters.stream().filter(m -> m.index() != old.index() && isLeader(m)).findFirst().orElseThrow();
    }

    /** {@code GET path} on the leader, as the CLI would; the body. */
    JsonNode leaderGet(String path) {
        MasterNode l = leader().orElseThrow(() -> new AssertionError("no leader"));
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + l.address() + path))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new AssertionError("GET " + path + " on leader " + l.address() + ": " + r.statusCode() + " "
                        + r.body());
            }
            return Cluster.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    long activeAgents() {
        JsonNode agentsView = leaderGet("/api/v1/agents");
        long n = 0;
        for (JsonNode a : agentsView) {
            if ("ACTIVE".equals(a.path("state").asText())) {
                n++;
            }
        }
        return n;
    }

    void awaitActiveAgents(int n, Duration timeout) {
        await(n + " active agents").atMost(timeout).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> activeAgents() == n);
    }

    void printLogTails() {
        processes.printLogTails();
    }

    @Override
    public void close() {
        processes.close();
        for (MasterNode m : masters) {
            m.zkProxies().forEach(TcpProxy::close);
        }
        try {
            zk.close();
        } catch (IOException e) {
            System.err.println("closing ZooKeeper: " + e);
        }
    }
}
