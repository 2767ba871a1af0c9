package dev.tower.api.detect;

/**
 * What the leading master publishes in ZooKeeper at {@link ZooKeeperUrl#leaderPath()}, as JSON.
 *
 * @param masterId the leader's id (changes with every master process)
 * @param address {@code host:port} of its HTTP API
 * @param epoch strictly increasing from one leader to the next (the sequence number of its election node); agents
 *              and frameworks ignore a master whose epoch is lower than one they have already seen
 */
public record LeaderInfo(String masterId, String address, long epoch) {
}
