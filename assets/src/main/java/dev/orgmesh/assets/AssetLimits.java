package dev.orgmesh.assets;

import java.time.Duration;

import io.nats.client.api.StorageType;

/**
 * Every limit of the org's JetStream assets, stated in one place. The defaults suit one hub machine; a 3-node hub
 * cluster sets {@code replicas} to 3.
 *
 * @param replicas stream and bucket replicas (1 on a single hub, 3 on a cluster)
 * @param storage file storage, so a hub restart loses nothing
 * @param channelMaxAge how long company and team channel messages are kept for agents that were down
 * @param inboxMaxAge upper bound for a DM or task nobody has taken (the normal path removes it once handled)
 * @param eventsMaxAge how long events stay replayable
 * @param dlqMaxAge how long dead letters are kept for inspection and replay
 * @param auditMaxAge how long the audit history is kept
 * @param duplicateWindow the {@code Nats-Msg-Id} de-duplication window of every stream
 * @param maxMsgSize largest message a stream accepts, in bytes
 * @param ackWait how long a consumer waits for an ack before redelivering; long work sends in-progress acks
 * @param maxDeliver delivery attempts before a message is dead-lettered
 * @param maxAckPending messages a member may hold unacked at once
 */
public record AssetLimits(int replicas, StorageType storage, Duration channelMaxAge, Duration inboxMaxAge,
        Duration eventsMaxAge, Duration dlqMaxAge, Duration auditMaxAge, Duration duplicateWindow, long maxMsgSize,
        Duration ackWait, int maxDeliver, int maxAckPending) {

    /** The defaults for a single hub. */
    public static AssetLimits defaults() {
        return new AssetLimits(1, StorageType.File, Duration.ofDays(7), Duration.ofDays(30), Duration.ofDays(30),
                Duration.ofDays(90), Duration.ofDays(365), Duration.ofMinutes(10), 1024 * 1024, Duration.ofSeconds(60),
                5, 64);
    }

    /**
     * How long the handled record ({@code OM_{CO}_HANDLED}) keeps a message id: one {@code ack_wait} beyond the longer
     * of the duplicate window and {@code ack_wait × max_deliver}. With consumers running, every redelivery of a
     * message whose ack was lost comes within {@code ack_wait × max_deliver} of its first delivery (each attempt
     * waits one {@code ack_wait}; after {@code max_deliver} it is dead-lettered), so the record outlives them; and a
     * redelivery inside the duplicate window is the case the outbox's {@code Nats-Msg-Id} de-duplication already
     * covers for the same agent, so a peer is covered as long as the agent itself is. Defaults: 11 minutes. A message
     * redelivered later (every agent of a role down for longer) can reach a brain again: at-least-once.
     */
    public Duration handledMaxAge() {
        Duration redeliveries = ackWait.multipliedBy(Math.max(1, maxDeliver));
        return (redeliveries.compareTo(duplicateWindow) > 0 ? redeliveries : duplicateWindow).plus(ackWait);
    }

    /** The same limits with another replica count. */
    public AssetLimits withReplicas(int r) {
        return new AssetLimits(r, storage, channelMaxAge, inboxMaxAge, eventsMaxAge, dlqMaxAge, auditMaxAge,
                duplicateWindow, maxMsgSize, ackWait, maxDeliver, maxAckPending);
    }
}
