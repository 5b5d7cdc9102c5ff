package dev.orgmesh.agent.pipeline;

import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.messaging.flow.DeadLetter;
import dev.orgmesh.protocol.envelope.Envelope;

/** Observes what the runtime did with messages; for a local API, tests and tools. Called on worker threads. */
public interface RuntimeListener {
    /** A heartbeat tick found nothing to do: the brain was not woken (zero tokens spent). */
    default void onHeartbeatSkipped(Envelope tick) {
    }

    /** An approval gate held {@code in}; the approval desk now waits for a human. */
    default void onHeld(Envelope in, String approvalId) {
    }

    /** The handler returned {@code outcome} for {@code in} (its messages are not published yet). */
    default void onHandled(Envelope in, String source, Outcome outcome) {
    }

    /**
     * {@code in} is recorded as handled in the company's handled record: everything it caused is stored, its ack is
     * next. Not called when the record could not be written.
     */
    default void onRecorded(Envelope in, String source) {
    }

    /**
     * {@code in} was handled before, so it is acked and not handed to the brain: {@code by} is this agent when this
     * runtime remembered it, else the agent the company's handled record names (a peer, or an earlier incarnation).
     */
    default void onDuplicate(Envelope in, String source, String by) {
    }

    /** {@code in} is done: everything it caused is stored and the server confirmed its ack. */
    default void onCompleted(Envelope in, String source) {
    }

    /**
     * The runtime escalates {@code escalation} on its own, outside any handled message: a dead letter, an overdue
     * task. (Escalations caused by a handled message are among that message's outcome.)
     */
    default void onEscalated(Envelope escalation) {
    }

    /** This runtime stored {@code deadLetter} first (malformed or forged input, or a message whose last delivery failed). */
    default void onDeadLettered(DeadLetter deadLetter) {
    }

    /** Does nothing. */
    RuntimeListener NONE = new RuntimeListener() {
    };
}
