package dev.tower.spark.examples;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.util.ArrayList;
import java.util.List;

/**
 * A burst of work followed by a quiet spell, to watch dynamic allocation grow executors under a backlog and give them
 * back when idle: {@code Backlog [TASKS [TASK_MILLIS [IDLE_SECONDS]]]} (defaults 40, 1000, 0) runs TASKS tasks that
 * each sleep TASK_MILLIS, prints {@code backlog done: N tasks in S s}, then keeps the application alive (and idle) for
 * IDLE_SECONDS before it ends.
 */
public final class Backlog {
    private Backlog() {
    }

    public static void main(String[] args) throws InterruptedException {
        int tasks = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        long millis = args.length > 1 ? Long.parseLong(args[1]) : 1000;
        long idleSeconds = args.length > 2 ? Long.parseLong(args[2]) : 0;
        if (tasks < 1 || millis < 0 || idleSeconds < 0) {
            throw new IllegalArgumentException("usage: Backlog [TASKS >= 1 [TASK_MILLIS >= 0 [IDLE_SECONDS >= 0]]]");
        }
        try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setAppName("Backlog"))) {
            List<Integer> items = new ArrayList<>(tasks);
            for (int i = 0; i < tasks; i++) {
                items.add(i);
            }
            long start = System.nanoTime();
            long done = sc.parallelize(items, tasks).map(i -> {
                Thread.sleep(millis);
                return i;
            }).count();
            System.out.printf("backlog done: %d tasks in %.1f s%n", done, (System.nanoTime() - start) / 1e9);
            Thread.sleep(idleSeconds * 1000);
        }
    }
}
