package dev.orgmesh.agent.pipeline;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.nats.client.Message;
import io.nats.client.impl.Headers;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.unchecked.Unchecked;

import dev.orgmesh.messaging.flow.DeadLetter;
import dev.orgmesh.messaging.flow.DeadLetters;
import dev.orgmesh.messaging.flow.OutboundMessage;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Ids;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;

/**
 * Where a message goes instead of the brain, or after its brain failed for the last time: held for a human
 * ({@code {co}.human.hold.{self}}), reported to the manager (deadline passed, loop), or dead-lettered with its reason
 * — when it is malformed or forged (and its sender told, when it is a member of the org), or when its last delivery
 * failed (and the manager of its sender told).
 */
public final class Diversions {
    private static final Logger LOG = Logger.getLogger(Diversions.class);

    private final String self;
    private final Org org;
    private final Subjects subjects;
    private final DeadLetters deadLetters;
    private final Escalations escalations;
    private final Outgoing outgoing;
    private final Executor workers;
    private final AgentMetrics metrics;
    private final RuntimeListener listener;

    public Diversions(String self, Org org, DeadLetters deadLetters, Escalations escalations, Outgoing outgoing,
            Executor workers, AgentMetrics metrics, RuntimeListener listener) {
        this.self = self;
        this.org = org;
        this.subjects = org.subjects();
        this.deadLetters = deadLetters;
        this.escalations = escalations;
        this.outgoing = outgoing;
        this.workers = workers;
        this.metrics = metrics;
        this.listener = listener;
    }

    /**
     * Hands a gated message to the approval desk, naming where the server stored it and the gate that holds it
     * (de-duplicated by approval id, so several recipients of one message hold it once); completes once the hold is
     * stored. It is not remembered as handled: the release comes back with the same id.
     */
    Uni<Settlement> hold(Delivery d, Message msg, Step.Hold h) {
        Headers hh = new Headers().put(HeaderNames.HOLD_GATE, h.gate().gate().id())
                .put(HeaderNames.HOLD_SUBJECT, msg.getSubject())
                .put(HeaderNames.HOLD_RECIPIENT, h.gate().recipient());
        String stored = DeadLetters.storedAt(d.headers(), d.stream(), d.seq());
        if (stored != null) {
            hh.put(HeaderNames.HOLD_STORED_AT, stored);
        }
        if (d.headers() != null && d.headers().getFirst(HeaderNames.TRACEPARENT) != null) {
            hh.put(HeaderNames.TRACEPARENT, d.headers().getFirst(HeaderNames.TRACEPARENT));
        }
        OutboundMessage m = new OutboundMessage(subjects.humanHold(self), hh, msg.getData(), h.gate().approvalId());
        return outgoing.store(List.of(m)).map(v -> {
            LOG.infof("held %s for approval %s (gate %s)", Guards.describe(h.in()), h.gate().approvalId(),
                    h.gate().gate().id());
            listener.onHeld(h.in(), h.gate().approvalId());
            return new Settlement.Ack(h.in(), "held for approval " + h.gate().approvalId());
        });
    }

    /** Tells the agent's manager why {@code r} is not handled; completes once that escalation is stored. */
    Uni<Void> report(Delivery d, Step.Report r) {
        String key = d.keyOf(r.in());
        Envelope esc = escalations.escalation(r.in(), r.raw(), escalations.ownManager(), r.code(), r.reason(),
                key + "-" + self + "-" + r.code().code());
        LOG.infof("%s not handling %s: %s", r.code().label(), Guards.describe(r.in()), r.reason());
        return outgoing.store(List.of(outgoing.message(esc, d.headers())));
    }

    /** Files a malformed or forged stream message as a dead letter, then tells its sender. */
    Uni<Settlement> malformed(Delivery d, Message msg, Step.Malformed m) {
        return Uni.createFrom().item(Unchecked.supplier(() -> {
            filed(deadLetters.publish(d.stream(), d.seq(), msg.getSubject(), msg.getHeaders(), body(msg),
                    m.error().code(), m.error().getMessage()));
            tellSender(m);
            return (Settlement) new Settlement.Ack(null, "malformed, dead-lettered");
        })).runSubscriptionOn(workers);
    }

    /**
     * A message that failed on its last delivery: this agent, which has it in hand, stores it as a dead letter with
     * the failure, tells the manager of its true sender (the sender token of its subject), and has it terminated — so
     * the server never announces it as undelivered and the hub's dead-letter desk, which moves only what no agent
     * settled, does not see it. If the dead letter cannot be stored, the message is given back instead: its delivery
     * count is spent, so the server announces it and the hub's desk moves it.
     */
    Uni<Settlement> giveUp(Delivery d, Message msg, String reason) {
        return Uni.createFrom().item(Unchecked.supplier(() -> {
            DeadLetter dl = deadLetters.publish(d.stream(), d.seq(), msg.getSubject(), msg.getHeaders(), body(msg),
                    ErrorCode.DEAD_LETTERED, reason);
            filed(dl);
            if (!dl.duplicate()) {
                outgoing.escalate(deadLetterEscalation(dl));
            }
            return (Settlement) new Settlement.Term("dead-lettered: " + reason);
        })).runSubscriptionOn(workers);
    }

    /** The escalation of a dead letter, to the manager of the message's true sender. */
    private Envelope deadLetterEscalation(DeadLetter dl) {
        Envelope original = null;
        ObjectNode raw = null;
        try {
            raw = EnvelopeCodec.parse(dl.body(), Integer.MAX_VALUE);
            original = EnvelopeCodec.fromTree(raw);
        } catch (OrgmeshException e) {
            // an undecodable original still gets its escalation, without the envelope's fields
        }
        String sender = subjects.attribution(dl.subject()).map(Subjects.Attribution::sender)
                .orElse(original != null ? original.from() : null);
        String to = escalations.forDeadLetterFrom(sender);
        return escalations.escalation(original, raw, to, ErrorCode.DEAD_LETTERED,
                "message " + (original != null && original.id() != null ? original.id() : dl.msgId()) + " on "
                        + dl.subject() + " was dead-lettered: " + dl.reason(),
                "esc-" + dl.msgId());
    }

    /**
     * A forged ask is refused to its caller and kept: nothing stored it, so its dead letter is filed here, off the
     * dispatcher's thread.
     */
    void forgedAsk(Message msg, Step.Malformed m) {
        JsonNode id = m.raw() != null ? m.raw().get("id") : null;
        String key = id != null && id.isTextual() && Subjects.SAFE_TOKEN.matcher(id.textValue()).matches()
                ? id.textValue()
                : Ids.next();
        workers.execute(() -> {
            try {
                filed(deadLetters.publishUnstored("ask", key, msg.getSubject(), msg.getHeaders(), body(msg),
                        m.error().code(), m.error().getMessage()));
            } catch (RuntimeException e) {
                LOG.warnf("forged ask on %s refused but not dead-lettered: %s", msg.getSubject(), e.toString());
            }
        });
    }

    private void filed(DeadLetter dl) {
        if (!dl.duplicate()) {
            metrics.deadLettered();
            listener.onDeadLettered(dl);
        }
    }

    private static byte[] body(Message msg) {
        return msg.getData() == null ? new byte[0] : msg.getData();
    }

    /** A forged message is answered to whoever really sent it, never to the member it names. */
    private void tellSender(Step.Malformed m) {
        (m.error().code() == ErrorCode.ENVELOPE_FORGED_SENDER ? member(m.realSender()) : senderOf(m.raw()))
                .ifPresent(sender -> outgoing.publish(outgoing.message(errorReply(sender, m), null)));
    }

    /** The {@code from} of a malformed message when it names a member of the org (else nobody is answered). */
    private Optional<String> senderOf(ObjectNode raw) {
        if (raw == null) {
            return Optional.empty();
        }
        JsonNode from = raw.get("from");
        return from == null || !from.isTextual() ? Optional.empty() : member(from.textValue());
    }

    /** {@code id} when it is another member of the org. */
    private Optional<String> member(String id) {
        if (id == null || !Subjects.SAFE_TOKEN.matcher(id).matches() || id.equals(self) || org.member(id).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(id);
    }

    private Envelope errorReply(String sender, Step.Malformed m) {
        JsonNode id = m.raw() != null ? m.raw().get("id") : null;
        return Envelope.builder().id(Ids.next()).from(self).to(sender).type("error")
                .subject("Your message could not be read")
                .re(id != null && id.isTextual() ? id.textValue() : null)
                .status("rejected")
                .context(m.error().code().label() + " " + m.error().getMessage())
                .extra("error", Json.mapper().valueToTree(m.error().toBody()))
                .ts(Instant.now())
                .build();
    }
}
