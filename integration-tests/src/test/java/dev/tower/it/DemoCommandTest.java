package dev.tower.it;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code tower demo}, short and without Spark: shares under weighted DRF, and the events the cluster produced. */
@ExtendWith(LogsOnFailure.class)
class DemoCommandTest {
    private final Cluster processes = Cluster.bare("demo");

    @AfterEach
    void stop() {
        processes.close();
    }

    @Test
    void showsTheSharesAndAFewOfTheEventsKafkaAcknowledged() {
        Cluster.CliResult r = processes.cli(Duration.ofSeconds(120), "demo", "--port", "0", "--duration", "8s",
                "--no-spark", "--no-hadoop");

        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).containsPattern("(?s)Tower web UI: http://127\\.0\\.0\\.1:\\d+/.*DOMINANT SHARE")
                .contains("analytics", "etl", "DOMINANT SHARE")
                .containsPattern("A few of the \\d+ cluster events so far")
                .containsPattern("master\\.elected +master-")
                .containsPattern("framework\\.subscribed +fw-")
                .containsPattern("audit\\.task\\.launch +fw-")
                .containsPattern("task\\.status +fw-\\S+ +task \\S+ RUNNING")
                .containsPattern("Kafka at 127\\.0\\.0\\.1:\\d+ acknowledged \\d+ of them as CloudEvents");
    }

    @Test
    void withAuthAndTlsItsFrameworksAuthenticateOverHttps() {
        Cluster.CliResult r = processes.cli(Duration.ofSeconds(120), "demo", "--port", "0", "--duration", "8s",
                "--no-spark", "--no-hadoop", "--no-kafka", "--auth", "--tls");

        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).containsPattern("Tower web UI: https://127\\.0\\.0\\.1:\\d+/")
                .containsPattern("Authentication is on: .*export TOWER_PRINCIPAL=admin TOWER_SECRET_FILE=\\S+admin\\.secret")
                .containsPattern("TLS is on: .*export TOWER_CA_CERT=\\S+ca\\.pem")
                .containsPattern("analytics +1 +\\d+ cpu")
                .containsPattern("audit\\.\\S+ +\\S+ +audit: \\S+ .* by admin from");
    }
}
