package dev.tower.manager.runtime;

import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.manager.core.Command;
import dev.tower.manager.core.Effect;
import dev.tower.manager.core.MasterCore;
import dev.tower.manager.core.Outcome;
import dev.tower.manager.core.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The one thread that owns the master's state: takes commands from a queue, hands them to {@link MasterCore},
 * completes the caller's future with the reply and passes the effects on. A timer enqueues a Tick every allocation
 * interval (never more than one pending); a framework that subscribes or revives gets one at once, since it is
 * waiting for offers and a whole interval would be added to its start-up.
 */
public final class CoreLoop implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CoreLoop.class);

    private record Pending(Command command, CompletableFuture<Reply> reply) {
    }

    /** Told how long the core took to handle each command (metrics); runs on the core thread, so it must be cheap. */
    public interface Observer {
        Observer NONE = (command, nanos) -> { };

        void handled(Command command, long nanos);
    }

    private final MasterCore core;
    private final Consumer<Effect> effects;
    private final Observer observer;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final ScheduledExecutorService ticker;
    private final AtomicBoolean tickPending = new AtomicBoolean();
    private volatile boolean running = true;

    public CoreLoop(MasterCore core, Consumer<Effect> effects) {
        this(core, effects, Observer.NONE);
    }

    public CoreLoop(MasterCore core, Consumer<Effect> effects, Observer observer) {
        this.core = core;
        this.effects = effects;
        this.observer = observer;
        this.thread = new Thread(this::run, "tower-core");
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tower-core-ticker");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        thread.start();
        long interval = core.config().allocationInterval().toMillis();
        ticker.scheduleAtFixedRate(this::tickSoon, interval, interval, TimeUnit.MILLISECONDS);
    }

    private void tickSoon() {
        if (tickPending.compareAndSet(false, true)) {
            queue.add(new Pending(new Command.Tick(), null));
        }
    }

    private static boolean wantsOffers(Command command) {
        return command instanceof Command.SubscribeFramework
                || command instanceof Command.FromFramework f && f.call() instanceof SchedulerCall.Revive;
    }

    /** Enqueues a command; the future completes with the core's reply once it has been handled. */
    public CompletableFuture<Reply> submit(Command command) {
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        if (!running) {
            reply.complete(new Reply(503, null, "master is shutting down"));
            return reply;
        }
        queue.add(new Pending(command, reply));
        return reply;
    }

    /** Commands waiting for the core thread: how far behind it is. */
    public int queued() {
        return queue.size();
    }

    private void run() {
        while (running) {
            Pending p;
            try {
                p = queue.take();
            } catch (InterruptedException e) {
                break;
            }
            if (p.command() instanceof Command.Tick) {
                tickPending.set(false);
            }
            Outcome outcome;
            long started = System.nanoTime();
            try {
                outcome = core.handle(p.command());
                observer.handled(p.command(), System.nanoTime() - started);
            } catch (RuntimeException e) {
                // A bug, not bad input: keep the master alive, fail this request only.
                log.error("core failed handling {}", p.command().getClass().getSimpleName(), e);
                if (p.reply() != null) {
                    p.reply().complete(new Reply(500, null, "internal error: " + e));
                }
                continue;
            }
            if (p.reply() != null) {
                p.reply().complete(outcome.reply());
            }
            if (wantsOffers(p.command())) {
                tickSoon();
            }
            for (Effect e : outcome.effects()) {
                try {
                    effects.accept(e);
                } catch (RuntimeException ex) {
                    log.warn("effect {} failed: {}", e.getClass().getSimpleName(), ex.toString());
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        ticker.shutdownNow();
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Pending p;
        while ((p = queue.poll()) != null) {
            if (p.reply() != null) {
                p.reply().complete(new Reply(503, null, "master is shutting down"));
            }
        }
    }
}
