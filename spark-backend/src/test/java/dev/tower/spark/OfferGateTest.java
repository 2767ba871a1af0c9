package dev.tower.spark;

import dev.tower.api.client.SchedulerDriver;
import dev.tower.api.model.Filters;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.model.TaskStatus;
import dev.tower.api.scheduler.Operation;
import dev.tower.api.scheduler.SchedulerCall;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

class OfferGateTest {
    /** Records suppress and revive calls; answers them when told, to check their order is kept. */
    private static final class Driver implements SchedulerDriver {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<Void>> pending = new CopyOnWriteArrayList<>();

        private CompletableFuture<Void> record(String call) {
            calls.add(call);
            CompletableFuture<Void> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        }

        @Override public CompletableFuture<Void> suppress() { return record("suppress"); }
        @Override public CompletableFuture<Void> revive() { return record("revive"); }
        @Override public Optional<String> frameworkId() { return Optional.of("fw-1"); }
        @Override public CompletableFuture<Void> launch(List<String> o, List<TaskInfo> t, Filters f) { throw new AssertionError(); }
        @Override public CompletableFuture<Void> accept(List<String> o, List<Operation> ops, Filters f) { throw new AssertionError(); }
        @Override public CompletableFuture<Void> decline(List<String> o, Filters f) { throw new AssertionError(); }
        @Override public CompletableFuture<Void> kill(String t, String a) { throw new AssertionError(); }
        @Override public CompletableFuture<Void> acknowledge(TaskStatus s) { throw new AssertionError(); }
        @Override public CompletableFuture<Void> reconcile(List<SchedulerCall.Reconcile.TaskRef> t) { throw new AssertionError(); }
        @Override public CompletableFuture<Void> teardown() { throw new AssertionError(); }
    }

    @Test
    void suppressesOnceWhenSatisfiedAndRevivesOnceOnNewDemand() {
        Driver d = new Driver();
        OfferGate gate = new OfferGate(d);
        gate.wantMore();
        assertThat(d.calls).as("offers flow from the start: nothing to revive").isEmpty();
        gate.satisfied();
        gate.satisfied();
        assertThat(d.calls).containsExactly("suppress");
        assertThat(gate.isSuppressed()).isTrue();
        d.pending.get(0).complete(null);
        gate.wantMore();
        gate.wantMore();
        assertThat(d.calls).containsExactly("suppress", "revive");
        assertThat(gate.isSuppressed()).isFalse();
    }

    @Test
    void aLongDeclineIsUndoneByTheNextDemand() {
        Driver d = new Driver();
        OfferGate gate = new OfferGate(d);
        gate.declinedForLong();
        gate.wantMore();
        assertThat(d.calls).containsExactly("revive");
    }

    @Test
    void aReviveWaitsForTheSuppressBeforeIt() {
        Driver d = new Driver();
        OfferGate gate = new OfferGate(d);
        gate.satisfied();
        gate.wantMore();
        assertThat(d.calls).as("revive is not sent before suppress is answered").containsExactly("suppress");
        d.pending.get(0).complete(null);
        assertThat(d.calls).containsExactly("suppress", "revive");
    }

    @Test
    void aFailedCallIsRepeatedOnTheNextChangeOfDemand() {
        Driver d = new Driver();
        OfferGate gate = new OfferGate(d);
        gate.satisfied();
        d.pending.get(0).completeExceptionally(new IllegalStateException("not subscribed"));
        gate.satisfied();
        assertThat(d.calls).containsExactly("suppress", "suppress");
    }
}
