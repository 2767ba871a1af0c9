package dev.tower.kafka;

import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * Main class of the broker child JVM: {@code BrokerLauncher PARENT_PID MAIN_CLASS ARGS...}. Runs {@code MAIN_CLASS}
 * (Kafka's {@code kafka.Kafka} or {@code kafka.tools.StorageTool}) and exits, through Kafka's own shutdown hook, as soon
 * as the parent process is gone, so a Tower killed with SIGKILL (or a crashed test JVM) leaves no broker behind.
 * Uses nothing but the JDK: it is the only Tower class on the broker's class path.
 */
public final class BrokerLauncher {
    private BrokerLauncher() {
    }

    public static void main(String[] args) throws Throwable {
        if (args.length < 2) {
            System.err.println("usage: BrokerLauncher PARENT_PID MAIN_CLASS [ARGS...]");
            System.exit(2);
        }
        long parent = Long.parseLong(args[0]);
        ProcessHandle.of(parent).ifPresentOrElse(
                h -> h.onExit().thenRun(() -> {
                    System.err.println("[tower] parent process " + parent + " is gone; stopping the broker");
                    System.exit(0);
                }),
                () -> {
                    System.err.println("[tower] parent process " + parent + " is gone; not starting");
                    System.exit(0);
                });
        try {
            Class.forName(args[1]).getMethod("main", String[].class)
                    .invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
