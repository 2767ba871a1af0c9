package dev.tower.manager.registry;

import dev.tower.manager.core.RegistryChange;
import dev.tower.manager.core.RegistrySnapshot;

/**
 * Durable state that cannot be rebuilt from agents' reports: agents, frameworks (with their failover deadlines),
 * role weights, drivers submitted in cluster deploy mode. Written from the core's Persist effects, in the order the core produced them; read by a newly
 * elected master. In memory for a single master ({@link InMemoryRegistry}); in ZooKeeper with several
 * ({@code dev.tower.manager.ha.ZooKeeperRegistry}).
 */
public interface Registry {
    /**
     * Records a change. Called on the core thread, so it must not wait long: an implementation that does I/O
     * queues the change and writes it later, keeping the order of the calls.
     */
    void apply(RegistryChange change);

    /** Everything the registry holds, for a master that takes over. */
    RegistrySnapshot load();
}
