package dev.tower.api.client;

import java.net.URI;

/** A live subscription: the master holding the event stream, and what calls must carry to be accepted there. */
record Subscription(URI master, String frameworkId, String streamId) {
}
