package dev.tower.cli;

import dev.tower.api.detect.ZooKeeperUrl;
import dev.tower.manager.MasterOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MasterCommandTest {

    private static MasterCommand parse(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "master";
        System.arraycopy(args, 0, all, 1, args.length);
        CommandLine.ParseResult r = TowerCli.commandLine().parseArgs(all);
        return (MasterCommand) r.subcommand().commandSpec().userObject();
    }

    /** What {@code tower master ARGS} prints on stderr and exits with, without running a master. */
    private static String errorOf(String... args) {
        CommandLine cl = TowerCli.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        String[] all = new String[args.length + 1];
        all[0] = "master";
        System.arraycopy(args, 0, all, 1, args.length);
        try {
            CommandLine.ParseResult r = cl.parseArgs(all);
            ((MasterCommand) r.subcommand().commandSpec().userObject()).options();
            return "";
        } catch (CommandLine.ParameterException e) {
            return e.getMessage();
        }
    }

    @Test
    void kafkaFlagsAreCheckedBeforeAnythingStarts() {
        MasterCommand ok = parse("--kafka", "k1:9092", "--kafka-replication-factor", "3", "--outbox-max-mb", "64");
        ok.kafka.validate();
        assertThat(ok.kafka.replicationFactor).isEqualTo(3);
        assertThat(ok.kafka.outboxMaxMb).isEqualTo(64);
        assertThatThrownBy(() -> parse("--kafka", "k1:9092", "--kafka-replication-factor", "0").kafka.validate())
                .hasMessage("--kafka-replication-factor must be at least 1");
        assertThatThrownBy(() -> parse("--kafka", "k1:9092", "--outbox-max-mb", "0").kafka.validate())
                .hasMessage("--outbox-max-mb must be at least 1");
        assertThatThrownBy(() -> parse("--kafka", "k1:9092", "--kafka-partitions", "0").kafka.validate())
                .hasMessage("--kafka-partitions must be at least 1");
    }

    @Test
    void withoutZooKeeperTheMasterLeadsAlone() {
        MasterOptions o = parse().options();
        assertThat(o.zooKeeper()).isNull();
        assertThat(o.core().agentReregisterTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void zkFlagsReachTheMasterOptions() {
        MasterOptions o = parse("--zk", "zk://h1:2181,h2:2182/towers/a", "--zk-session-timeout", "2s",
                "--agent-reregister-timeout", "30s").options();
        assertThat(o.zooKeeper()).isEqualTo(new ZooKeeperUrl("h1:2181,h2:2182", "/towers/a"));
        assertThat(o.zooKeeperSessionTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(o.core().agentReregisterTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void theBareHostPortPathFormIsAccepted() {
        MasterOptions o = parse("--zk", "127.0.0.1:2181/tower").options();
        assertThat(o.zooKeeper()).isEqualTo(new ZooKeeperUrl("127.0.0.1:2181", "/tower"));
        assertThat(o.zooKeeperSessionTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void badValuesAreReportedNamingTheFlag() {
        assertThat(errorOf("--zk", "zk://h:notaport/tower")).contains("--zk").contains("bad port");
        assertThat(errorOf("--zk", "zk:///tower")).contains("--zk").contains("no ZooKeeper server");
        assertThat(errorOf("--zk", "zk://h:2181/")).contains("--zk").contains("bad path");
        assertThat(errorOf("--zk-session-timeout", "soon")).contains("--zk-session-timeout").contains("not a duration");
        assertThat(errorOf("--zk", "h:2181", "--zk-session-timeout", "0s")).contains("--zk-session-timeout: must be more than 0");
        assertThat(errorOf("--agent-reregister-timeout", "-5s")).contains("--agent-reregister-timeout: must be more than 0");
    }

    @Test
    void theCommandLineExitsWithAUsageErrorAndNoStackTrace() {
        CommandLine cl = TowerCli.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("master", "--zk", "zk://h:99999/tower");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--zk").contains("bad ZooKeeper server 'h:99999'").doesNotContain("\tat ");
        assertThatThrownBy(() -> parse("--zk")).isInstanceOf(CommandLine.MissingParameterException.class);

        // Checked after parsing, before any master starts: reported the same way.
        StringWriter err2 = new StringWriter();
        CommandLine cl2 = TowerCli.commandLine();
        cl2.setErr(new PrintWriter(err2));
        assertThat(cl2.execute("master", "--zk", "h:2181", "--zk-session-timeout", "-1s")).isEqualTo(2);
        assertThat(err2.toString()).contains("--zk-session-timeout: must be more than 0").doesNotContain("\tat ");
    }
}
