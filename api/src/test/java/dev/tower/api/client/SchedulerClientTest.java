package dev.tower.api.client;

import dev.tower.api.detect.MasterDetector;
import dev.tower.api.detect.MasterUrls;
import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Filters;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Offer;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskState;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.scheduler.Operation;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.api.scheduler.SchedulerEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class SchedulerClientTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    private final RecordingScheduler scheduler = new RecordingScheduler();

    @AfterEach
    void closeAll() throws Exception {
        while (!toClose.isEmpty()) {
            toClose.pop().close();
        }
    }

    private <T extends AutoCloseable> T closing(T resource) {
        toClose.push(resource);
        return resource;
    }

    private FakeMaster master() throws IOException {
        return closing(FakeMaster.start());
    }

    private SchedulerClient client(MasterDetector detector, UnaryOperator<SchedulerClient.Builder> options) {
        SchedulerClient.Builder b = SchedulerClient.builder(detector, FrameworkInfo.named("test", "batch"), scheduler);
        return closing(options.apply(b).build());
    }

    private SchedulerClient started(FakeMaster master) {
        return client(MasterUrls.detector(master.address()), b -> b).start();
    }

    @Test
    void subscribesReceivesOffersAndSendsCallsOnItsStream() throws Exception {
        FakeMaster master = master();
        SchedulerClient client = client(MasterUrls.detector(master.address()), b -> b);
        assertThat(failure(client.revive())).isInstanceOf(IllegalStateException.class).hasMessage("not subscribed");

        client.start();
        FakeMaster.Stream stream = master.awaitStream();
        assertThat(stream.subscribe().framework().id()).isNull();
        assertThat(stream.subscribe().framework().name()).isEqualTo("test");
        stream.subscribed("fw-1", "stream-1", 15);
        assertThat(client.awaitSubscribed(WAIT)).isTrue();
        assertThat(client.frameworkId()).contains("fw-1");

        stream.send(new SchedulerEvent.Offers(List.of(offer("o1"), offer("o2"))));
        await().atMost(WAIT).until(() -> scheduler.events.size() == 2);
        assertThat(scheduler.events).containsExactly("subscribed fw-1", "offers o1,o2");

        TaskInfo task = TaskInfo.of("t1", Resources.cpusMem(1, 128), CommandInfo.shell("sleep 1"));
        client.launch(List.of("o1"), List.of(task), Filters.refuse(30)).get(5, TimeUnit.SECONDS);

        FakeMaster.Received accept = master.received(SchedulerCall.Accept.class).get(0);
        assertThat(accept.streamId()).isEqualTo("stream-1");
        assertThat(accept.call()).isEqualTo(new SchedulerCall.Accept("fw-1", List.of("o1"),
                List.of(new Operation.Launch(List.of(task))), Filters.refuse(30)));

        master.reject("DECLINE", "offerIds[0]: unknown offer 'o9'");
        Throwable rejected = failure(client.decline(List.of("o9"), null));
        assertThat(rejected).isInstanceOf(CallRejectedException.class).hasMessage("offerIds[0]: unknown offer 'o9'");
        assertThat(((CallRejectedException) rejected).status()).isEqualTo(400);
    }

    @Test
    void reSubscribesWithItsFrameworkIdWhenTheMasterDropsTheStream() throws Exception {
        FakeMaster master = master();
        SchedulerClient client = started(master);
        FakeMaster.Stream first = master.awaitStream();
        first.subscribed("fw-2", "stream-a", 15);
        assertThat(client.awaitSubscribed(WAIT)).isTrue();

        first.end();
        FakeMaster.Stream second = master.awaitStream();
        assertThat(second.subscribe().framework().id()).isEqualTo("fw-2");
        second.subscribed("fw-2", "stream-b", 15);

        await().atMost(WAIT).until(() -> scheduler.events.size() == 3);
        assertThat(scheduler.events).containsExactly("subscribed fw-2", "disconnected", "subscribed fw-2 reconnected");
        client.suppress().get(5, TimeUnit.SECONDS);
        assertThat(master.received(SchedulerCall.Suppress.class)).singleElement()
                .satisfies(r -> assertThat(r.streamId()).isEqualTo("stream-b"));
    }

    @Test
    void aStreamThatMissesItsHeartbeatsIsReplaced() throws Exception {
        FakeMaster master = master();
        SchedulerClient client = client(MasterUrls.detector(master.address()), b -> b.missedHeartbeats(2)).start();
        // 2 missed heartbeats of 0.1 s + 1 s slack: silent for 1.2 s means dead, though the connection is open
        FakeMaster.Stream silent = master.awaitStream();
        silent.subscribed("fw-3", "stream-a", 0.1);
        assertThat(client.awaitSubscribed(WAIT)).isTrue();

        FakeMaster.Stream beating = master.awaitStream();
        assertThat(beating.subscribe().framework().id()).isEqualTo("fw-3");
        beating.subscribed("fw-3", "stream-b", 0.1);

        // heartbeats keep a stream alive well past the silence limit
        ScheduledExecutorService heart = Executors.newSingleThreadScheduledExecutor();
        closing(heart::shutdownNow);
        var beats = heart.scheduleAtFixedRate(() -> beating.send(new SchedulerEvent.Heartbeat()), 0, 100,
                TimeUnit.MILLISECONDS);
        await().during(Duration.ofMillis(2000)).atMost(Duration.ofMillis(3000))
                .until(() -> master.subscriptions() == 2);

        beats.cancel(false);
        FakeMaster.Stream third = master.awaitStream();
        assertThat(third.subscribe().framework().id()).isEqualTo("fw-3");
        await().atMost(WAIT).until(() -> scheduler.events.size() == 4);
        assertThat(scheduler.events).containsExactly(
                "subscribed fw-3", "disconnected", "subscribed fw-3 reconnected", "disconnected");
    }

    @Test
    void updatesWithAUuidAreAcknowledgedEachTimeTheyArrive() throws Exception {
        FakeMaster master = master();
        SchedulerClient client = started(master);
        scheduler.onUpdate = status -> {
            if (status.taskId().equals("t-throws")) {
                throw new IllegalStateException("framework bug");
            }
        };
        FakeMaster.Stream stream = master.awaitStream();
        stream.subscribed("fw-4", "stream-4", 15);
        assertThat(client.awaitSubscribed(WAIT)).isTrue();

        TaskStatus running = status("t1", "u1");
        stream.send(new SchedulerEvent.Update(running));
        await().atMost(WAIT).until(() -> master.received(SchedulerCall.Acknowledge.class).size() == 1);
        stream.send(new SchedulerEvent.Update(running)); // the master did not see the ack in time and resends
        await().atMost(WAIT).until(() -> master.received(SchedulerCall.Acknowledge.class).size() == 2);

        stream.send(new SchedulerEvent.Update(status("t-reconciled", null)));
        stream.send(new SchedulerEvent.Update(status("t-throws", "u-throws")));
        stream.send(new SchedulerEvent.Update(status("t2", "u2")));
        // callbacks run in order and each ack is sent as its callback returns, so once t2's ack is in,
        // any ack for the two before it would have been sent too
        await().atMost(WAIT).until(() -> master.received(SchedulerCall.Acknowledge.class).size() >= 3
                && scheduler.events.size() == 6);

        assertThat(master.received(SchedulerCall.Acknowledge.class))
                .allSatisfy(r -> assertThat(r.streamId()).isEqualTo("stream-4"))
                .extracting(FakeMaster.Received::call)
                .containsExactlyInAnyOrder(
                        new SchedulerCall.Acknowledge("fw-4", "a1", "t1", "u1"),
                        new SchedulerCall.Acknowledge("fw-4", "a1", "t1", "u1"),
                        new SchedulerCall.Acknowledge("fw-4", "a1", "t2", "u2"));
        assertThat(failure(client.acknowledge(status("t-reconciled", null))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void triesTheNextCandidateAfterARefusalOrA503AndFollowsA307() throws Exception {
        FakeMaster standby = master();
        standby.unavailable();
        FakeMaster leader = master();
        FakeMaster follower = master();
        follower.redirectTo(leader);
        MasterDetector detector = MasterUrls.detector(
                "127.0.0.1:" + closedPort() + "," + standby.address() + "," + follower.address());
        SchedulerClient client = client(detector, b -> b).start();

        FakeMaster.Stream stream = leader.awaitStream();
        stream.subscribed("fw-5", "stream-5", 15);
        assertThat(client.awaitSubscribed(WAIT)).isTrue();
        assertThat(standby.subscriptions()).isEqualTo(1);
        assertThat(follower.subscriptions()).isEqualTo(1);
        assertThat(detector.candidates().get(0)).isEqualTo(leader.uri());

        // the detector now puts the leader first: a re-subscription goes straight to it
        stream.end();
        leader.awaitStream().subscribed("fw-5", "stream-6", 15);
        await().atMost(WAIT).until(() -> scheduler.events.contains("subscribed fw-5 reconnected"));
        assertThat(follower.subscriptions()).isEqualTo(1);
        assertThat(standby.subscriptions()).isEqualTo(1);
    }

    @Test
    void aMasterSubscribingAtALowerEpochThanOneSeenIsLeftAndAHigherOneAccepted() throws Exception {
        FakeMaster deposed = master();
        FakeMaster leader = master();
        SchedulerClient client = client(MasterUrls.detector(deposed.address() + "," + leader.address()), b -> b)
                .start();
        FakeMaster.Stream first = deposed.awaitStream();
        first.subscribed("fw-9", "stream-a", 15, 7);
        assertThat(client.awaitSubscribed(WAIT)).isTrue();

        // Leadership moved on while this master was cut off; it has not noticed yet and takes the client back.
        first.end();
        FakeMaster.Stream stale = deposed.awaitStream();
        deposed.redirectTo(leader); // from now on it knows
        stale.subscribed("fw-9", "stream-b", 15, 6);

        FakeMaster.Stream current = leader.awaitStream();
        assertThat(current.subscribe().framework().id()).isEqualTo("fw-9");
        current.subscribed("fw-9", "stream-c", 15, 8);
        await().atMost(WAIT).until(() -> scheduler.events.size() == 3);
        client.suppress().get(5, TimeUnit.SECONDS);

        assertThat(scheduler.events).containsExactly("subscribed fw-9", "disconnected", "subscribed fw-9 reconnected");
        assertThat(leader.received(SchedulerCall.Suppress.class)).singleElement()
                .satisfies(r -> assertThat(r.streamId()).isEqualTo("stream-c"));
        assertThat(deposed.received(SchedulerCall.Suppress.class)).isEmpty();
    }

    @Test
    void anErrorEventEndsTheClientWithoutReSubscribing() throws Exception {
        FakeMaster master = master();
        SchedulerClient client = started(master);
        FakeMaster.Stream stream = master.awaitStream();
        stream.subscribed("fw-6", "stream-6", 15);
        stream.send(new SchedulerEvent.Error("framework fw-6 removed: failover timeout expired"));
        stream.end();

        client.terminated().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(scheduler.events)
                .containsExactly("subscribed fw-6", "error framework fw-6 removed: failover timeout expired");
        assertThat(master.subscriptions()).isEqualTo(1);
        assertThat(client.awaitSubscribed(WAIT)).isFalse();
        assertThat(failure(client.revive())).hasMessage("not subscribed");
    }

    @Test
    void teardownSendsTeardownAndStopsTheClient() throws Exception {
        FakeMaster master = master();
        SchedulerClient client = started(master);
        master.awaitStream().subscribed("fw-7", "stream-7", 15);
        assertThat(client.awaitSubscribed(WAIT)).isTrue();

        client.teardown().get(5, TimeUnit.SECONDS);

        client.terminated().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(master.received(SchedulerCall.Teardown.class)).singleElement().satisfies(r -> {
            assertThat(r.call()).isEqualTo(new SchedulerCall.Teardown("fw-7"));
            assertThat(r.streamId()).isEqualTo("stream-7");
        });
        assertThat(master.subscriptions()).isEqualTo(1);
        assertThat(client.isSubscribed()).isFalse();
    }

    @Test
    void callbacksRunOneAtATimeInStreamOrder() throws Exception {
        FakeMaster master = master();
        CountDownLatch release = new CountDownLatch(1);
        scheduler.onOffers = offers -> {
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        SchedulerClient client = started(master);
        FakeMaster.Stream stream = master.awaitStream();
        stream.subscribed("fw-8", "stream-8", 15);
        assertThat(client.awaitSubscribed(WAIT)).isTrue();

        stream.send(new SchedulerEvent.Offers(List.of(offer("o1"))));
        await().atMost(WAIT).until(() -> scheduler.events.contains("offers o1"));
        stream.send(new SchedulerEvent.Update(status("t1", null)));
        stream.send(new SchedulerEvent.Failure("a1"));
        stream.send(new SchedulerEvent.Rescind("o1"));
        // the stream thread has read these by now; none may run while the offers callback is still busy
        await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> scheduler.events.size() == 2);

        release.countDown();
        await().atMost(WAIT).until(() -> scheduler.events.size() == 5);
        assertThat(scheduler.events).containsExactly(
                "subscribed fw-8", "offers o1", "update t1 RUNNING", "agentLost a1", "rescinded o1");
        assertThat(scheduler.maxConcurrent).hasValue(1);
        assertThat(scheduler.threads).singleElement().asString().startsWith("tower-scheduler-events-");
    }

    /** The exception a future failed with, as the client completed it. */
    private static Throwable failure(CompletableFuture<?> future) throws Exception {
        Throwable t = future.handle((ok, error) -> error).get(5, TimeUnit.SECONDS);
        assertThat(t).as("the call should have failed").isNotNull();
        return t;
    }

    private static Offer offer(String id) {
        return new Offer(id, "fw", "a1", "host1", Resources.cpusMem(4, 4096), Map.of());
    }

    private static TaskStatus status(String taskId, String uuid) {
        return new TaskStatus(taskId, "fw", "a1", TaskState.RUNNING, null, null, null, uuid,
                TaskStatus.Source.AGENT, 1.0);
    }

    /** A port nothing listens on: bound once, then released. */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
