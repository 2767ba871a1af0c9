package dev.tower.cli;

import dev.tower.api.client.MasterHttp;
import dev.tower.api.detect.MasterUrls;
import picocli.CommandLine.Option;

/** {@code --master}, shared by every command that talks to a running master. */
public final class MasterOption {
    @Option(names = {"-m", "--master"}, paramLabel = "MASTER",
            description = "Master address: host:port[,host:port], or zk://host:port[,host:port]/path to find the "
                    + "elected master through ZooKeeper. Default: $TOWER_MASTER or 127.0.0.1:5050.")
    String master;

    public String url() {
        if (master != null && !master.isBlank()) {
            return master;
        }
        String env = System.getenv("TOWER_MASTER");
        return env != null && !env.isBlank() ? env : "127.0.0.1:5050";
    }

    public MasterHttp http() {
        return new MasterHttp(MasterUrls.detector(url()));
    }
}
