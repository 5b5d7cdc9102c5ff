package dev.orgmesh.agent.pipeline;

import java.time.Instant;

import io.nats.client.impl.Headers;

import dev.orgmesh.protocol.envelope.Envelope;

/**
 * One delivery of a message to this agent: its source ({@code dm}, {@code team}, {@code tasks}…), its stream position
 * (for dead letters; {@code seq} 0 for a core copy taken by the fast lane), the consumer's delivery count and its
 * {@code max_deliver} (0: unknown or unlimited), its headers and when the server stored it.
 */
record Delivery(String source, String stream, long seq, long delivery, long maxDeliver, Headers headers,
        Instant stored) {
    /** The server will not deliver it again: a failure now is final. */
    boolean last() {
        return maxDeliver > 0 && delivery >= maxDeliver;
    }

    String streamKey() {
        return stream + ":" + seq;
    }

    /** A core copy (the fast lane) has no stream position. */
    boolean core() {
        return seq == 0;
    }

    String where() {
        return core() ? "core copy on " + source : stream + "/" + seq;
    }

    /** A key for the envelope: its id, or its stream position when it has none. */
    String keyOf(Envelope e) {
        return e != null && e.id() != null ? e.id() : positionId();
    }

    /**
     * The id an envelope without one gets (a shell {@code nats pub}, as in the seed): its stream position, the same for
     * every agent that receives it and for every redelivery, so replies can name it in {@code re}.
     */
    String positionId() {
        return "s-" + stream + "-" + seq;
    }
}
