package dev.tower.manager.core;

import java.util.List;

/** What handling one command produced: the reply to its request and the effects to carry out, in order. */
public record Outcome(Reply reply, List<Effect> effects) {
}
