package dev.tower.api.events;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventFilterTest {

    @Test
    void typesArePrefixesAndASubjectAlsoMatchesWhatBelongsToIt() {
        EventFilter f = EventFilter.of(List.of("task", "audit.task.kill,agent.added"), "fw-1");

        assertThat(f.types()).containsExactly("task", "audit.task.kill", "agent.added");
        assertThat(f.matches("task.status", "fw-1/t1")).isTrue();
        assertThat(f.matches("task.kill_requested", "fw-1/t1")).isTrue();
        assertThat(f.matches("audit.task.kill", "fw-1/t1")).isTrue();
        assertThat(f.matches("task.status", "fw-10/t1")).isFalse(); // another framework whose id starts the same
        assertThat(f.matches("audit.task.launch", "fw-1")).isFalse();
        assertThat(f.matches("framework.removed", "fw-1")).isFalse();
        assertThat(EventFilter.ALL.matches("anything.at.all", null)).isTrue();
        assertThat(EventFilter.of(List.of(), "fw-1").matches("framework.removed", "fw-1")).isTrue();
    }

    @Test
    void itsQueryStringIsWhatTheMasterReadsBack() {
        assertThat(EventFilter.ALL.query()).isEmpty();
        assertThat(EventFilter.of(List.of("task", "agent"), "fw 1/t").query()).isEqualTo("?type=task%2Cagent&subject=fw+1%2Ft");
        assertThat(EventFilter.of(Arrays.asList(null, " ", "task,,task"), " ")).isEqualTo(
                new EventFilter(List.of("task"), null));
    }

    @Test
    void aTypeThatCannotBeOneIsRefusedNamingTheParameter() {
        assertThatThrownBy(() -> EventFilter.of(List.of("task status"), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("type: 'task status'");
    }
}
