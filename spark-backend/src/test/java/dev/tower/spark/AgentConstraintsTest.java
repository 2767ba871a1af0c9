package dev.tower.spark;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AgentConstraintsTest {
    @Test
    void valuesAlternativesAndPresence() {
        AgentConstraints c = AgentConstraints.parse("rack:r1;zone:a,b;ssd");
        assertThat(c.matches(Map.of("rack", "r1", "zone", "b", "ssd", "yes"))).isTrue();
        assertThat(c.matches(Map.of("rack", "r1", "zone", "c", "ssd", "yes"))).isFalse();
        assertThat(c.matches(Map.of("rack", "r1", "zone", "a"))).isFalse();
        assertThat(c.matches(Map.of())).isFalse();
        assertThat(c.toString()).isEqualTo("rack:r1;zone:a,b;ssd");
    }

    @Test
    void noConstraintsMatchEveryAgent() {
        assertThat(AgentConstraints.parse(" ").matches(Map.of())).isTrue();
        assertThat(AgentConstraints.parse(null).isEmpty()).isTrue();
    }
}
