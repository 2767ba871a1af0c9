package dev.tower.api.client;

import dev.tower.api.model.Offer;
import dev.tower.api.model.TaskStatus;

import java.util.List;

/**
 * What a framework implements to receive its events. Every method is called on one dedicated thread, in the order
 * the master sent the events, never two at a time, so implementations need no locking of their own state.
 * Long work in a callback delays the events behind it.
 *
 * <p>{@link #offers} and {@link #update} have no default: ignoring offers holds resources until they are rescinded,
 * and ignoring updates hides lost tasks.
 */
public interface Scheduler {

    /**
     * The master accepted the subscription.
     *
     * @param reconnected true when this client had been subscribed before and has now re-subscribed with the same
     *                    framework id after its stream was lost (tasks were kept)
     */
    default void subscribed(SchedulerDriver driver, String frameworkId, boolean reconnected) {
    }

    void offers(SchedulerDriver driver, List<Offer> offers);

    /** An offer is no longer valid (timeout, agent lost, quota); accepting it would fail. */
    default void rescinded(SchedulerDriver driver, String offerId) {
    }

    /**
     * A task's status changed. With auto-acknowledgement on (the default) the update is acknowledged when this method
     * returns normally; if it throws, the update is not acknowledged and the master sends it again.
     */
    void update(SchedulerDriver driver, TaskStatus status);

    /** An agent was lost for good; its tasks' updates follow separately. */
    default void agentLost(SchedulerDriver driver, String agentId) {
    }

    /**
     * The master ended this framework (teardown, failover timeout expired) or refused its subscription. The client
     * stops: it will not subscribe again.
     */
    default void error(SchedulerDriver driver, String message) {
    }

    /** The event stream was lost; the client is re-subscribing and will call {@link #subscribed} again. */
    default void disconnected(SchedulerDriver driver) {
    }
}
