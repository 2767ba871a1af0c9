package dev.tower.agent.resources;

import dev.tower.api.model.Range;
import dev.tower.api.model.Resources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResourceDetectorTest {
    @TempDir
    Path workDir;

    @Test
    void parsesTheResourcesFlag() {
        Resources r = ResourceDetector.parse("cpus:4;mem:8192;disk:20000;ports:[31000-32000]");
        assertThat(r.cpus()).isEqualTo(4);
        assertThat(r.mem()).isEqualTo(8192);
        assertThat(r.scalar(Resources.DISK)).isEqualTo(20000);
        assertThat(r.ranges(Resources.PORTS)).containsExactly(new Range(31000, 32000));
    }

    @Test
    void badResourceIsNamed() {
        assertThatThrownBy(() -> ResourceDetector.parse("cpus:four")).hasMessageContaining("cpus");
    }

    @Test
    void detectsThisMachine() {
        Resources r = new ResourceDetector(workDir).detect();
        assertThat(r.cpus()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(r.mem()).isGreaterThanOrEqualTo(256);
        assertThat(r.scalar(Resources.DISK)).isPositive();
        assertThat(r.ranges(Resources.PORTS)).containsExactly(new Range(31000, 32000));
    }

    @Test
    void givenResourcesWinAndTheRestIsDetected() {
        Resources r = new ResourceDetector(workDir).resolve(ResourceDetector.parse("cpus:2;ports:[40000-40010]"));
        assertThat(r.cpus()).isEqualTo(2);
        assertThat(r.ranges(Resources.PORTS)).containsExactly(new Range(40000, 40010));
        assertThat(r.mem()).isGreaterThanOrEqualTo(256);
    }

    @Test
    void parsesAttributes() {
        assertThat(Attributes.parse("rack:r1; zone:a")).containsExactly(
                java.util.Map.entry("rack", "r1"), java.util.Map.entry("zone", "a"));
        assertThat(Attributes.parse("")).isEmpty();
        assertThatThrownBy(() -> Attributes.parse("rack")).hasMessageContaining("rack");
        assertThatThrownBy(() -> Attributes.parse("rack:a;rack:b")).hasMessageContaining("twice");
    }
}
