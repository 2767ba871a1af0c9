package dev.tower.manager.http;

/** Whether this master serves the API itself, and where the leading master is when it does not. */
public interface LeaderRouting {
    /** True while this master leads and serves the API. */
    boolean serving();

    /** {@code host:port} of the leading master to send callers to, or null while none is known. */
    String leaderAddress();

    /** A master that always serves: a single master, without ZooKeeper. */
    LeaderRouting ALWAYS = new LeaderRouting() {
        @Override
        public boolean serving() {
            return true;
        }

        @Override
        public String leaderAddress() {
            return null;
        }
    };
}
