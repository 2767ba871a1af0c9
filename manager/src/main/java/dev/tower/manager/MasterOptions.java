package dev.tower.manager;

import dev.tower.manager.core.MasterConfig;

import java.nio.file.Path;

/**
 * How to run a master.
 *
 * @param bindHost address to listen on ({@code 0.0.0.0} for all)
 * @param advertisedHost the address clients are told to use
 * @param port 5050 by default; 0 picks a free port
 */
public record MasterOptions(String bindHost, String advertisedHost, int port, Path workDir, MasterConfig core) {
    public static MasterOptions defaults(Path workDir) {
        return new MasterOptions("0.0.0.0", "127.0.0.1", 5050, workDir, MasterConfig.defaults());
    }

    public MasterOptions withPort(int p) {
        return new MasterOptions(bindHost, advertisedHost, p, workDir, core);
    }

    public MasterOptions withCore(MasterConfig c) {
        return new MasterOptions(bindHost, advertisedHost, port, workDir, c);
    }

    public MasterOptions withHosts(String bind, String advertised) {
        return new MasterOptions(bind, advertised, port, workDir, core);
    }
}
