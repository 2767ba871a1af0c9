package dev.tower.cli;

import dev.tower.api.model.ContainerInfo;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RunCommandTest {

    private static RunCommand parse(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "run";
        System.arraycopy(args, 0, all, 1, args.length);
        CommandLine.ParseResult r = TowerCli.commandLine().parseArgs(all);
        return (RunCommand) r.subcommand().commandSpec().userObject();
    }

    @Test
    void dockerFlagsDescribeTheContainer() {
        ContainerInfo c = parse("--docker", "busybox", "-p", "8080", "--publish", "53", "-v", "/data:/d:rw",
                "--volume", "/etc/hosts:/h", "--pull", "never", "--", "httpd", "-f").container();
        assertThat(c.image()).isEqualTo("busybox");
        assertThat(c.network()).isEqualTo(ContainerInfo.Network.BRIDGE);
        assertThat(c.pullPolicy()).isEqualTo(ContainerInfo.PullPolicy.NEVER);
        assertThat(c.portMappings()).extracting(ContainerInfo.PortMapping::containerPort).containsExactly(8080, 53);
        assertThat(c.volumes()).containsExactly(new ContainerInfo.Volume("/data", "/d", ContainerInfo.Mode.RW),
                new ContainerInfo.Volume("/etc/hosts", "/h", ContainerInfo.Mode.RO));
        assertThat(parse("--", "true").container()).isNull();
    }

    @Test
    void mistakesAreNamed() {
        assertThatThrownBy(() -> parse("-p", "80", "--", "true").container())
                .hasMessage("--network, --publish, --volume and --pull need --docker IMAGE");
        assertThatThrownBy(() -> parse("--docker", "b", "--network", "host", "-p", "80").container())
                .hasMessage("--publish needs the bridge network (--network host given)");
        assertThatThrownBy(() -> parse("--docker", "b", "--network", "overlay").container())
                .hasMessage("--network: 'overlay' is not one of host, bridge, none");
        assertThatThrownBy(() -> parse("--docker", "b", "-v", "/data").container())
                .hasMessage("--volume: '/data' is not HOST_PATH:CONTAINER_PATH[:rw|:ro]");
        assertThatThrownBy(() -> parse("--docker", "b", "-p", "70000").container())
                .hasMessage("--publish: 70000 is not a port (1..65535)");
    }
}
