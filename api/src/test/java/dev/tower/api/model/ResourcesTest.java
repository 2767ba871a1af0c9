package dev.tower.api.model;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResourcesTest {

    @Test
    void parsesTheFlagForm() {
        Resources r = Resources.parse("cpus:4;mem:8192;disk:20000;ports:[31000-32000,33000-33000]");
        assertThat(r.cpus()).isEqualTo(4);
        assertThat(r.mem()).isEqualTo(8192);
        assertThat(r.ranges("ports")).containsExactly(new Range(31000, 32000), new Range(33000, 33000));
        assertThat(Resources.parse(r.toString())).isEqualTo(r);
    }

    @Test
    void rejectsBadFlagsNamingTheResource() {
        assertThatThrownBy(() -> Resources.parse("cpus:-1")).hasMessageContaining("cpus");
        assertThatThrownBy(() -> Resources.parse("mem:lots")).hasMessageContaining("mem");
        assertThatThrownBy(() -> Resources.parse("ports:[5-2]")).hasMessageContaining("ports");
    }

    @Test
    void arithmeticDoesNotDrift() {
        Resources total = Resources.cpusMem(1, 100);
        Resources tenth = Resources.cpusMem(0.1, 10);
        Resources left = total;
        for (int i = 0; i < 10; i++) {
            left = left.minus(tenth);
        }
        assertThat(left.isEmpty()).isTrue();
        Resources back = Resources.EMPTY;
        for (int i = 0; i < 10; i++) {
            back = back.plus(tenth);
        }
        assertThat(back).isEqualTo(total);
    }

    @Test
    void rangesSubtractAndContain() {
        Resources ports = Resources.ranges("ports", List.of(new Range(100, 200)));
        Resources some = Resources.ranges("ports", List.of(new Range(150, 160)));
        Resources left = ports.minus(some);
        assertThat(left.ranges("ports")).containsExactly(new Range(100, 149), new Range(161, 200));
        assertThat(left.contains(some)).isFalse();
        assertThat(ports.contains(some)).isTrue();
        assertThat(left.plus(some)).isEqualTo(ports);
        assertThat(left.shortfall(some)).hasValueSatisfying(s -> assertThat(s).startsWith("ports"));
    }
}
