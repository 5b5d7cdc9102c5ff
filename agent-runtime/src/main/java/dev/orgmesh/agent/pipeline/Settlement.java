package dev.orgmesh.agent.pipeline;

import java.time.Duration;

import dev.orgmesh.protocol.envelope.Envelope;

/** How a stream message is settled, decided by the stages and carried out by {@link Settlements}. */
sealed interface Settlement {
    /** Done: handled, or skipped, reported, held or dead-lettered on purpose ({@code why}). */
    record Ack(Envelope in, String why) implements Settlement {
    }

    /** Not done: given back to the server, redelivered after {@code delay}. */
    record Nak(Duration delay, String reason) implements Settlement {
    }
}
