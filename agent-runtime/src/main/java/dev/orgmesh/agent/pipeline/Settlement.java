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

    /** Failed on its last delivery: to be dead-lettered by this agent, which has it in hand, then terminated. */
    record GiveUp(String reason) implements Settlement {
    }

    /** Dead-lettered: terminated, so the server neither redelivers it nor announces it as undelivered. */
    record Term(String why) implements Settlement {
    }
}
