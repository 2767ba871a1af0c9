package dev.tower.manager.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tower.api.events.EventSinkView;

import java.util.List;

/**
 * What {@code /health} shows; always answered by the master asked, leader or standby.
 *
 * @param status {@code ok}: the process is up and answering
 * @param role {@code leader} (serves the API) or {@code standby} (redirects to the leader)
 * @param epoch the leader's epoch (this master's while it leads; the known leader's on a standby), null if none
 * @param leader {@code host:port} of the leading master, null while none is known
 * @param zookeeper the ZooKeeper connection's state (CONNECTING, CONNECTED, SUSPENDED, LOST, ...); absent without
 *                  ZooKeeper
 * @param reason why a standby is not leading (e.g. ZooKeeper cannot be reached); absent on a leader
 * @param eventSinks where this master sends its events besides its events stream (Kafka), and how far behind each
 *                   is; absent when none
 * @param masters every master announced in ZooKeeper ({@code host:port}), this one included; absent without
 *                ZooKeeper
 */
public record HealthView(
        String status,
        String role,
        @JsonInclude(JsonInclude.Include.ALWAYS) Long epoch,
        @JsonInclude(JsonInclude.Include.ALWAYS) String leader,
        String masterId,
        String zookeeper,
        String reason,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<EventSinkView> eventSinks,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> masters) {
}
