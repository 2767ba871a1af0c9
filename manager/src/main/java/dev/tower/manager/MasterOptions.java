package dev.tower.manager;

import dev.tower.api.detect.ZooKeeperUrl;
import dev.tower.manager.core.MasterConfig;
import dev.tower.manager.dispatch.DispatcherOptions;
import dev.tower.manager.security.MasterSecurity;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How to run a master.
 *
 * @param bindHost address to listen on ({@code 0.0.0.0} for all)
 * @param advertisedHost the address clients are told to use
 * @param port 5050 by default; 0 picks a free port
 * @param zooKeeper where masters elect their leader and keep the registry; null for a single master, which leads
 *                  at once with epoch 0 and keeps its registry in memory
 * @param zooKeeperSessionTimeout a leader whose ZooKeeper session is lost for this long stops leading; about how
 *                                long a failover takes when a leader dies
 * @param drivers how drivers submitted in Spark's cluster deploy mode are run
 * @param security authentication, ACLs and TLS; {@link MasterSecurity#OFF} when null
 */
public record MasterOptions(String bindHost, String advertisedHost, int port, Path workDir, MasterConfig core,
                            ZooKeeperUrl zooKeeper, Duration zooKeeperSessionTimeout, DispatcherOptions drivers,
                            MasterSecurity security) {
    public static final Duration DEFAULT_ZOOKEEPER_SESSION_TIMEOUT = Duration.ofSeconds(10);

    public MasterOptions {
        zooKeeperSessionTimeout = zooKeeperSessionTimeout == null ? DEFAULT_ZOOKEEPER_SESSION_TIMEOUT
                : zooKeeperSessionTimeout;
        drivers = drivers == null ? DispatcherOptions.DEFAULT : drivers;
        security = security == null ? MasterSecurity.OFF : security;
    }

    public MasterOptions(String bindHost, String advertisedHost, int port, Path workDir, MasterConfig core,
                         ZooKeeperUrl zooKeeper, Duration zooKeeperSessionTimeout, DispatcherOptions drivers) {
        this(bindHost, advertisedHost, port, workDir, core, zooKeeper, zooKeeperSessionTimeout, drivers, null);
    }

    public MasterOptions(String bindHost, String advertisedHost, int port, Path workDir, MasterConfig core,
                         ZooKeeperUrl zooKeeper, Duration zooKeeperSessionTimeout) {
        this(bindHost, advertisedHost, port, workDir, core, zooKeeper, zooKeeperSessionTimeout, null);
    }

    /** A single master (no ZooKeeper). */
    public MasterOptions(String bindHost, String advertisedHost, int port, Path workDir, MasterConfig core) {
        this(bindHost, advertisedHost, port, workDir, core, null, DEFAULT_ZOOKEEPER_SESSION_TIMEOUT);
    }

    public static MasterOptions defaults(Path workDir) {
        return new MasterOptions("0.0.0.0", "127.0.0.1", 5050, workDir, MasterConfig.defaults());
    }

    public MasterOptions withPort(int p) {
        return new MasterOptions(bindHost, advertisedHost, p, workDir, core, zooKeeper, zooKeeperSessionTimeout, drivers, security);
    }

    public MasterOptions withCore(MasterConfig c) {
        return new MasterOptions(bindHost, advertisedHost, port, workDir, c, zooKeeper, zooKeeperSessionTimeout, drivers, security);
    }

    public MasterOptions withHosts(String bind, String advertised) {
        return new MasterOptions(bind, advertised, port, workDir, core, zooKeeper, zooKeeperSessionTimeout, drivers, security);
    }

    /** One of several masters electing their leader through ZooKeeper at {@code url}. */
    public MasterOptions withZooKeeper(ZooKeeperUrl url, Duration sessionTimeout) {
        return new MasterOptions(bindHost, advertisedHost, port, workDir, core, url, sessionTimeout, drivers, security);
    }

    public MasterOptions withSecurity(MasterSecurity s) {
        return new MasterOptions(bindHost, advertisedHost, port, workDir, core, zooKeeper, zooKeeperSessionTimeout, drivers, s);
    }

    public MasterOptions withDrivers(DispatcherOptions d) {
        return new MasterOptions(bindHost, advertisedHost, port, workDir, core, zooKeeper, zooKeeperSessionTimeout, d, security);
    }
}
