package dev.tower.api.client;

import dev.tower.api.detect.MasterDetector;
import dev.tower.api.detect.MasterUrls;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

class MasterHttpTest {

    @Test
    void findsTheLeaderPastARefusalA503AndA307() throws Exception {
        try (FakeMaster standby = FakeMaster.start(); FakeMaster leader = FakeMaster.start();
             FakeMaster follower = FakeMaster.start()) {
            standby.unavailable();
            follower.redirectTo(leader);
            leader.route("/api/v1/state", 200, "{\"leader\":\"me\"}");
            MasterDetector detector = MasterUrls.detector("127.0.0.1:" + SchedulerClientTest.closedPort() + ","
                    + standby.address() + "," + follower.address());

            assertThat(new MasterHttp(detector).get("/api/v1/state")).isEqualTo("{\"leader\":\"me\"}");
            assertThat(detector.candidates().get(0)).isEqualTo(leader.uri());
            assertThat(standby.received()).hasSize(1);
            assertThat(follower.received()).hasSize(1);
        }
    }

    @Test
    void postsJsonAndTurnsAnErrorReplyIntoCallRejected() throws Exception {
        try (FakeMaster master = FakeMaster.start()) {
            master.route("/api/v1/operator", 400, "{\"error\":\"weights.batch: must be positive\"}");
            MasterHttp http = new MasterHttp(MasterUrls.detector(master.address()));

            Throwable t = catchThrowable(() -> http.post("/api/v1/operator", Map.of("weights", Map.of("batch", -1))));

            assertThat(t).isInstanceOf(CallRejectedException.class).hasMessage("weights.batch: must be positive");
            assertThat(((CallRejectedException) t).status()).isEqualTo(400);
            assertThat(master.received()).singleElement().satisfies(r -> {
                assertThat(r.method()).isEqualTo("POST");
                assertThat(r.body()).isEqualTo("{\"weights\":{\"batch\":-1}}");
            });
        }
    }

    @Test
    void givesUpAfterItsTimeoutWhenNoMasterLeads() throws Exception {
        try (FakeMaster standby = FakeMaster.start()) {
            standby.unavailable();
            MasterHttp http = new MasterHttp(MasterUrls.detector(standby.address()),
                    HttpClient.newHttpClient(), Duration.ofMillis(500));

            Throwable t = catchThrowable(() -> http.get("/api/v1/state"));

            assertThat(t).isInstanceOf(MasterUnavailableException.class)
                    .hasMessageContaining(standby.address() + ": 503 no leading master elected yet");
            assertThat(standby.received().size()).isGreaterThan(1);
        }
    }

    @Test
    void aTlsMismatchIsReportedAtOnceRatherThanWaitedOut() throws Exception {
        // A TLS-only server closes a plain HTTP connection without a byte; waiting for a leader would not help.
        try (java.net.ServerSocket tlsOnly = new java.net.ServerSocket(0, 4, java.net.InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                for (int i = 0; i < 8; i++) {
                    try (java.net.Socket s = tlsOnly.accept()) {
                        s.getInputStream().read(new byte[512]);
                    } catch (java.io.IOException e) {
                        return; // closed by the test
                    }
                }
            }, "tls-only");
            server.start();
            // Pauses of 20 s and a 60 s timeout: only giving up at the first round ends the call within seconds.
            MasterHttp http = new MasterHttp(MasterUrls.detector("127.0.0.1:" + tlsOnly.getLocalPort()),
                    LeadingMaster.defaultHttpClient(Duration.ofSeconds(5), dev.tower.api.security.ClientSecurity.NONE),
                    Duration.ofSeconds(60), () -> new Backoff(Duration.ofSeconds(20), Duration.ofSeconds(20)));
            java.util.concurrent.CompletableFuture<Throwable> failure = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> catchThrowable(() -> http.get("/api/v1/state")));

            assertThat(failure.get(15, java.util.concurrent.TimeUnit.SECONDS))
                    .isInstanceOf(MasterUnavailableException.class)
                    .hasMessageContaining("TLS: the server closed a plain HTTP connection without a word");
            tlsOnly.close();
            server.join(10_000);
        }
    }
}
