package dev.tower.api.model;

import dev.tower.api.codec.Json;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ContainerInfoTest {
    private static final Resources TWO_PORTS = Resources.parse("cpus:1;mem:64;ports:[31000-31001]");

    @Test
    void readsTheDocumentedJsonWithDefaults() throws Exception {
        ContainerInfo c = Json.mapper().readValue("""
                {"type":"docker","image":"busybox","pullPolicy":"never","network":"bridge",
                 "portMappings":[{"containerPort":8080}],
                 "volumes":[{"hostPath":"/data","containerPath":"/data","mode":"rw"}]}""", ContainerInfo.class);
        assertThat(c.pullPolicy()).isEqualTo(ContainerInfo.PullPolicy.NEVER);
        assertThat(c.portMappings().get(0).protocol()).isEqualTo(ContainerInfo.Protocol.TCP);
        assertThat(c.volumes().get(0).writable()).isTrue();
        assertThat(Json.write(ContainerInfo.docker("busybox"))).contains("\"pullPolicy\":\"if-not-present\"",
                "\"network\":\"bridge\"", "\"type\":\"docker\"");
        assertThatThrownBy(() -> Json.mapper().readValue("{\"image\":\"b\",\"network\":\"overlay\"}",
                ContainerInfo.class)).hasMessageContaining("network: 'overlay' is not one of host, bridge, none");
    }

    @Test
    void hostPortsComeFromTheTasksPortsInOrderSkippingNamedOnes() {
        ContainerInfo c = ContainerInfo.docker("b").withPortMappings(List.of(ContainerInfo.PortMapping.of(80),
                new ContainerInfo.PortMapping(443, 31000, null)));
        assertThat(c.validate("c", TWO_PORTS)).isEmpty();
        assertThat(c.hostPorts(List.of(31000L, 31001L))).containsExactly(31001, 31000);
    }

    @Test
    void namesTheFieldThatIsWrong() {
        assertThat(new ContainerInfo(null, " ", null, null, null, null, null, null).validate("t.container", TWO_PORTS))
                .hasValue("t.container.image: missing");
        assertThat(ContainerInfo.docker("b").withPortMappings(List.of(new ContainerInfo.PortMapping(80, 9999, null)))
                .validate("t.container", TWO_PORTS)).get().asString()
                .startsWith("t.container.portMappings[0].hostPort: 9999 is not one of the task's ports");
        assertThat(ContainerInfo.docker("b").withPortMappings(List.of(ContainerInfo.PortMapping.of(1),
                ContainerInfo.PortMapping.of(2), ContainerInfo.PortMapping.of(3))).validate("c", TWO_PORTS)).get()
                .asString().contains("3 mappings need as many ports");
        assertThat(ContainerInfo.docker("b").withNetwork(ContainerInfo.Network.HOST)
                .withPortMappings(List.of(ContainerInfo.PortMapping.of(80))).validate("c", TWO_PORTS)).get()
                .asString().startsWith("c.portMappings: ports are mapped only on the bridge network");
        assertThat(ContainerInfo.docker("b").withVolumes(List.of(new ContainerInfo.Volume("data", "/d", null)))
                .validate("c", TWO_PORTS)).hasValue("c.volumes[0].hostPath: must be an absolute path, got data");
        assertThat(ContainerInfo.docker("b").withVolumes(List.of(new ContainerInfo.Volume("/x", "/mnt/sandbox/x", null)))
                .validate("c", TWO_PORTS)).get().asString().contains("is the task's sandbox");
    }
}
