package dev.tower.api.detect;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MasterUrlsTest {
    @Test
    void hostPortsWithOrWithoutAScheme() {
        assertThat(MasterUrls.parseHostPorts("h1:5050, http://h2:5060/,h3"))
                .containsExactly(URI.create("http://h1:5050"), URI.create("http://h2:5060"), URI.create("http://h3:5050"));
    }

    @Test
    void anHttpsMasterKeepsItsScheme() {
        assertThat(MasterUrls.parseHostPorts("https://h1:5050,HTTPS://h2"))
                .containsExactly(URI.create("https://h1:5050"), URI.create("https://h2:5050"));
    }

    @Test
    void badAddressesAreNamed() {
        assertThatThrownBy(() -> MasterUrls.parseHostPorts("https://:5050"))
                .hasMessage("missing host in master address 'https://:5050'");
        assertThatThrownBy(() -> MasterUrls.parseHostPorts("h1:x")).hasMessage("bad port in master address 'h1:x'");
    }
}
