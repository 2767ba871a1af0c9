package dev.tower.hadoop.framework;

import dev.tower.hadoop.yarn.Capacity;

import java.time.Instant;

/**
 * A Tower task that holds resources of a NodeManager's agent so that the NodeManager may give them to YARN
 * containers: it runs {@code sleep} and nothing else. Its capacity counts in the NodeManager's capability while it
 * runs; it is released (capability first, then the task) once YARN has left it unused for the idle delay.
 */
final class Placeholder {
    final String taskId;
    final Capacity capacity;
    boolean running;
    /** Capability already shrunk; the kill is on its way. */
    boolean releasing;
    /** Since when YARN has left room for it unused; null while it is (or may be) needed. */
    Instant idleSince;

    Placeholder(String taskId, Capacity capacity) {
        this.taskId = taskId;
        this.capacity = capacity;
    }

    /** Counts toward the NodeManager's capability now. */
    boolean held() {
        return running && !releasing;
    }

    /** Counts toward capacity YARN will have soon (launched or running, not being released). */
    boolean promised() {
        return !releasing;
    }

    @Override
    public String toString() {
        return taskId + " " + capacity;
    }
}
