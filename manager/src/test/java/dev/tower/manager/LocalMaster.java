package dev.tower.manager;

import dev.tower.manager.security.MasterSecurity;

import java.net.URI;
import java.nio.file.Path;

/** A single master on a free loopback port for tests that talk to it over HTTP; closing it stops it. */
public final class LocalMaster implements AutoCloseable {
    private final Master master;

    private LocalMaster(Master master) {
        this.master = master;
    }

    public static LocalMaster start(Path workDir) {
        return start(workDir, MasterSecurity.OFF);
    }

    public static LocalMaster start(Path workDir, MasterSecurity security) {
        return new LocalMaster(Master.start(MasterOptions.defaults(workDir).withHosts("127.0.0.1", "127.0.0.1")
                .withPort(0).withSecurity(security)));
    }

    /** {@code http://host:port} + {@code pathAndQuery}. */
    public URI uri(String pathAndQuery) {
        return URI.create("http://" + master.address() + pathAndQuery);
    }

    public Master master() {
        return master;
    }

    @Override
    public void close() {
        master.close();
    }
}
