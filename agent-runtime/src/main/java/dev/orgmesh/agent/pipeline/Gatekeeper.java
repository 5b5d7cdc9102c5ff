package dev.orgmesh.agent.pipeline;

import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;

import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.impl.Headers;

import dev.orgmesh.agent.brain.TransientException;
import dev.orgmesh.protocol.Approval;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.ApprovalGate;
import dev.orgmesh.protocol.org.Org;

/**
 * The approval gates at the receiving end (docs/oversight.md): a message a gate matches is not handed to the brain
 * but held; a message released by the approval desk passes only if its approval record, which only the desk can
 * write, says {@code approved} for that very message.
 */
public final class Gatekeeper {
    /** Sources that carry work to gate; heartbeat ticks, events and asks are not held. */
    private static final Set<String> GATED_SOURCES = Set.of("dm", "team", "all", "tasks", "ask");

    /** What the gates decided. */
    sealed interface Verdict {
        record Pass() implements Verdict {
        }

        record Hold(ApprovalGate gate, String approvalId, String recipient) implements Verdict {
        }

        record Forged(String reason) implements Verdict {
        }
    }

    /** Reads approval records; {@code null} when there is none. */
    public interface Records {
        Approval get(String id) throws IOException, JetStreamApiException, InterruptedException;

        public static Records of(Supplier<KeyValue> bucket) {
            return id -> {
                KeyValueEntry e = bucket.get().get(id);
                return e == null || e.getValue() == null ? null : Approval.decode(e.getValue());
            };
        }
    }

    private final Org org;
    private final Agent self;
    private final Records records;

    public Gatekeeper(Org org, Agent self, Records records) {
        this.org = org;
        this.self = self;
        this.records = records;
    }

    boolean hasGates() {
        return !org.oversight().approvals().isEmpty();
    }

    /**
     * The verdict for {@code in}, carried on {@code subject} as {@code raw}. A release (its approval header) passes
     * only when the record is approved for exactly this message: the same id, the same subject, the same envelope — an
     * approval id copied onto another message does not unlock it (the header is the sender's to write).
     */
    Verdict check(Envelope in, JsonNode raw, String subject, String source, Headers headers) {
        String approval = headers == null ? null : headers.getFirst(HeaderNames.APPROVAL);
        if (approval != null) {
            Approval a = read(approval);
            if (a == null) {
                return new Verdict.Forged(
                        "message " + in.id() + " names approval " + approval + ", which does not exist");
            }
            if (!Approval.APPROVED.equals(a.status()) || !a.messageId().equals(in.id())) {
                return new Verdict.Forged("message " + in.id() + " names approval " + approval + ", which is "
                        + a.status() + " for message " + a.messageId());
            }
            if (!a.subject().equals(subject) || raw == null || !raw.equals(a.envelope())) {
                return new Verdict.Forged("message " + in.id() + " on " + subject + " names approval " + approval
                        + ", which approved another message (on " + a.subject() + ")");
            }
            return new Verdict.Pass();
        }
        if (!hasGates() || !GATED_SOURCES.contains(source)) {
            return new Verdict.Pass();
        }
        String recipient = in.to() != null ? in.to() : recipientOf(source);
        Optional<ApprovalGate> gate = org.oversight().gateFor(in.type(), in.from(), recipient,
                in.priorityOrNormal().wire(), self.team());
        if (gate.isEmpty()) {
            return new Verdict.Pass();
        }
        return new Verdict.Hold(gate.get(), Approval.idFor(in.id(), gate.get().id()), recipient);
    }

    /** The recipient a message without {@code to} was addressed to, from where it arrived. */
    private String recipientOf(String source) {
        return switch (source) {
            case "dm", "ask" -> self.id();
            case "team" -> "team:" + self.team();
            case "tasks" -> "role:" + self.role();
            default -> "all";
        };
    }

    private Approval read(String id) {
        try {
            return records.get(id);
        } catch (IOException | JetStreamApiException e) {
            throw new TransientException("cannot read approval " + id + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransientException("interrupted reading approval " + id);
        } catch (RuntimeException e) {
            throw new TransientException(ErrorCode.APPROVAL_FORGED.label() + " unreadable approval " + id + ": " + e);
        }
    }
}
