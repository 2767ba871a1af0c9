package dev.tower.kafka;

import dev.tower.manager.core.ClusterEvent;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for a master process: publishes {@code COUNT} task events to a sink on {@code OUTBOX_DIR}, waits until
 * the outbox has written them and Kafka acknowledged at least {@code DELIVERED} (default 0), prints
 * {@code DURABLE COUNT delivered=N}, then keeps running (and sending) until killed.
 * Args: OUTBOX_DIR BOOTSTRAP TOPIC_PREFIX RUN COUNT [DELIVERED].
 */
public final class SinkChildMain {
    public static void main(String[] args) throws Exception {
        KafkaEventSink sink = KafkaEventSink.start(KafkaEventSinkTest.config(args[1], Path.of(args[0]), args[2]));
        String run = args[3];
        int count = Integer.parseInt(args[4]);
        for (int n = 0; n < count; n++) {
            sink.publish(KafkaTestSupport.event(run, n, 100));
        }
        if (!sink.outbox().flush(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("outbox did not write in 30 s");
        }
        long delivered = args.length > 5 ? Long.parseLong(args[5]) : 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (sink.delivered() < delivered && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        System.out.println("DURABLE " + count + " delivered=" + sink.delivered());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
