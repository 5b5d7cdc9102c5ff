package dev.orgmesh.agent.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.envelope.Envelope;

/** What the guards decided before any handler runs ({@link Guards}). */
sealed interface Step {
    /** Not for this agent to handle (its own message, already handled): ack. */
    record Skip(Envelope in, String why) implements Step {
    }

    /**
     * Not an envelope, or not from whom it says: dead-letter it and tell the sender when known ({@code realSender}:
     * the true sender of a forged one, else null).
     */
    record Malformed(OrgmeshException error, ObjectNode raw, String realSender) implements Step {
        Malformed(OrgmeshException error, ObjectNode raw) {
            this(error, raw, null);
        }
    }

    /** Not to be handled but reported to the manager (deadline passed, loop). */
    record Report(Envelope in, ObjectNode raw, ErrorCode code, String reason) implements Step {
    }

    /**
     * Run the handler. {@code late}: it arrived past its deadline and the org's {@code late_tasks} is {@code work}, so
     * what the agent sends about it is flagged {@code late: true} ({@link Guards.Deadline}).
     */
    record Work(Envelope in, boolean late) implements Step {
        Work(Envelope in) {
            this(in, false);
        }
    }

    /** Not yet: given back to the server with {@link Intake#REDELIVERY_GRACE}, without counting as a failure. */
    record Defer(Envelope in, String why) implements Step {
    }

    /** An approval gate holds it: hand it to the approval desk, then ack. */
    record Hold(Envelope in, Gatekeeper.Verdict.Hold gate) implements Step {
    }
}
