package dev.tower.it;

import dev.tower.api.client.SchedulerClient;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.operator.TaskView;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Two frameworks share two agents and run 100 short tasks each to completion. */
@ExtendWith(LogsOnFailure.class)
class ManyTasksTest {
    private Cluster cluster;
    private final List<SchedulerClient> clients = new ArrayList<>();

    @BeforeEach
    void startCluster() {
        cluster = Cluster.start("many", 2, "5s");
    }

    @AfterEach
    void stop() {
        clients.forEach(SchedulerClient::close);
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void twoHundredTasksFromTwoFrameworksAllFinish() throws Exception {
        RecordingScheduler a = new RecordingScheduler();
        RecordingScheduler b = new RecordingScheduler();
        a.submit(tasks("a", "true"));
        b.submit(tasks("b", "echo x"));
        clients.add(a.start(cluster, "many-a"));
        clients.add(b.start(cluster, "many-b"));

        await("200 FINISHED updates").atMost(Duration.ofSeconds(50)).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> {
                    assertThat(a.countIn(TaskState.FINISHED) + b.countIn(TaskState.FINISHED))
                            .as("finished (a: %s, b: %s; launch errors %s %s)", summary(a), summary(b),
                                    a.launchErrors(), b.launchErrors())
                            .isEqualTo(200);
                });
        assertThat(a.updates()).noneMatch(u -> u.state().isTerminal() && u.state() != TaskState.FINISHED);
        assertThat(b.updates()).noneMatch(u -> u.state().isTerminal() && u.state() != TaskState.FINISHED);

        String fa = clients.get(0).frameworkId().orElseThrow();
        String fb = clients.get(1).frameworkId().orElseThrow();
        List<TaskView> all = cluster.tasks();
        Map<String, Long> finishedPerFramework = all.stream()
                .filter(t -> t.state() == TaskState.FINISHED)
                .collect(Collectors.groupingBy(TaskView::frameworkId, Collectors.counting()));
        assertThat(finishedPerFramework).containsEntry(fa, 100L).containsEntry(fb, 100L);
        assertThat(all).filteredOn(t -> t.frameworkId().equals(fa) || t.frameworkId().equals(fb))
                .allSatisfy(t -> assertThat(t.state()).isEqualTo(TaskState.FINISHED));
    }

    private static Map<TaskState, Long> summary(RecordingScheduler s) {
        return s.updates().stream().collect(Collectors.groupingBy(u -> u.state(), Collectors.counting()));
    }

    private static List<TaskInfo> tasks(String prefix, String command) {
        return IntStream.range(0, 100)
                .mapToObj(i -> TaskInfo.of(prefix + "-" + i, Resources.cpusMem(0.1, 16), CommandInfo.shell(command)))
                .toList();
    }
}
