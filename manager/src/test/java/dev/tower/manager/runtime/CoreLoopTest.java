package dev.tower.manager.runtime;

import dev.tower.api.agent.AgentCall;
import dev.tower.api.model.AgentInfo;
import dev.tower.api.model.FrameworkInfo;
import dev.tower.api.model.Resources;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.api.scheduler.SchedulerEvent;
import dev.tower.manager.core.Command;
import dev.tower.manager.core.Effect;
import dev.tower.manager.core.IdGenerator;
import dev.tower.manager.core.MasterConfig;
import dev.tower.manager.core.MasterCore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class CoreLoopTest {
    /** So long that only an early cycle can produce offers within the test. */
    private static final Duration NEVER = Duration.ofHours(1);

    private final List<Effect> effects = new CopyOnWriteArrayList<>();
    private final CoreLoop loop = new CoreLoop(new MasterCore(config(), InstantSource.system(), IdGenerator.random()),
            effects::add);

    private static MasterConfig config() {
        MasterConfig d = MasterConfig.defaults();
        return new MasterConfig(NEVER, d.heartbeatInterval(), d.agentPingTimeout(), d.agentUnreachableTimeout(),
                d.offerTimeout(), d.statusRetryInitial(), d.statusRetryMax(), d.completedTasksKept(), Map.of());
    }

    @AfterEach
    void close() {
        loop.close();
    }

    @Test
    void aSubscribingFrameworkIsOfferedAtOnceRatherThanAtTheNextCycle() throws Exception {
        loop.start();
        subscribeAgent();
        String fw = subscribeFramework();
        await().atMost(5, TimeUnit.SECONDS).until(() -> offersTo(fw) == 1);
    }

    @Test
    void aRevivingFrameworkIsOfferedAtOnce() throws Exception {
        loop.start();
        subscribeAgent();
        String fw = subscribeFramework();
        await().atMost(5, TimeUnit.SECONDS).until(() -> offersTo(fw) == 1);
        String offerId = lastOfferTo(fw);
        loop.submit(new Command.FromFramework("f-conn", new SchedulerCall.Decline(fw, List.of(offerId), new dev.tower.api.model.Filters(3600.0))))
                .get(5, TimeUnit.SECONDS);
        loop.submit(new Command.FromFramework("f-conn", new SchedulerCall.Revive(fw))).get(5, TimeUnit.SECONDS);
        await().atMost(5, TimeUnit.SECONDS).until(() -> offersTo(fw) == 2);
    }

    private void subscribeAgent() throws Exception {
        AgentInfo agent = new AgentInfo(null, "host-1", 5051, Resources.cpusMem(4, 4096), Map.of());
        loop.submit(new Command.SubscribeAgent("a-conn", new AgentCall.Subscribe(agent, List.of())))
                .get(5, TimeUnit.SECONDS);
    }

    private String subscribeFramework() throws Exception {
        FrameworkInfo info = new FrameworkInfo(null, "fw", "*", "p", "nobody", "localhost", 0.0, List.of());
        return (String) loop.submit(new Command.SubscribeFramework("f-conn", new SchedulerCall.Subscribe(info)))
                .get(5, TimeUnit.SECONDS).body();
    }

    private long offersTo(String frameworkId) {
        return effects.stream().filter(e -> e instanceof Effect.ToFramework t && t.frameworkId().equals(frameworkId)
                && t.event() instanceof SchedulerEvent.Offers).count();
    }

    private String lastOfferTo(String frameworkId) {
        return effects.stream().filter(e -> e instanceof Effect.ToFramework t && t.frameworkId().equals(frameworkId)
                        && t.event() instanceof SchedulerEvent.Offers)
                .map(e -> ((SchedulerEvent.Offers) ((Effect.ToFramework) e).event()).offers().get(0).id())
                .reduce((a, b) -> b).orElseThrow();
    }
}
