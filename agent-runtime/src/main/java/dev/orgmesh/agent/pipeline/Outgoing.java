package dev.orgmesh.agent.pipeline;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.UnaryOperator;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.BooleanNode;

import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.opentelemetry.api.trace.Span;
import io.smallrye.mutiny.Uni;

import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.messaging.flow.OutboundMessage;
import dev.orgmesh.messaging.flow.Outbox;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Router;

/**
 * The last stage: everything this agent says leaves here. It makes an envelope the agent's own ({@code from} self, an
 * id, a timestamp, the loop fields the runtime keeps), routes it to its attributed subject ({@link Router}), continues
 * the W3C trace, scrubs known secret values from the body and hands it to the store-and-forward {@link Outbox}. It
 * never calls back into a caller: the stages before it and the runtime call it.
 */
public final class Outgoing {
    private static final Logger LOG = Logger.getLogger(Outgoing.class);

    /** An envelope ready to leave and the outbox message that carries it. */
    public record Ready(Envelope envelope, OutboundMessage message) {
    }

    private final String self;
    private final Router router;
    private final Escalations escalations;
    private final Outbox outbox;
    private final Clock clock;
    private final Duration outboxWait;
    private final ScheduledExecutorService timer;
    private final AgentMetrics metrics;
    private final RuntimeListener listener;
    /** Applied to every body this agent publishes: removes known secret values (set by the service). */
    private volatile UnaryOperator<byte[]> scrub = UnaryOperator.identity();

    /**
     * @param outboxWait how long a handled message waits for what it caused to be stored before it is given back
     * @param timer the runtime's timer, for that wait
     */
    public Outgoing(String self, Router router, Escalations escalations, Outbox outbox, Clock clock,
            Duration outboxWait, ScheduledExecutorService timer, AgentMetrics metrics, RuntimeListener listener) {
        this.self = self;
        this.router = router;
        this.escalations = escalations;
        this.outbox = outbox;
        this.clock = clock;
        this.outboxWait = outboxWait;
        this.timer = timer;
        this.metrics = metrics;
        this.listener = listener;
    }

    /** Every body this agent publishes goes through {@code filter} (secret scrubbing). */
    public void filter(UnaryOperator<byte[]> filter) {
        this.scrub = filter;
    }

    /** {@code body} as it may leave this agent. */
    byte[] scrubbed(byte[] body) {
        return scrub.apply(body);
    }

    /** {@code e} as this agent sends it: from self, with an id ({@code id} when given) and a timestamp. */
    public Envelope own(Envelope e, String id) {
        Envelope.Builder b = e.toBuilder().from(self);
        if (id != null) {
            b.id(id);
        }
        Envelope built = b.build();
        return built.ts() != null
                ? built.withIdIfAbsent()
                : built.toBuilder().ts(clock.instant()).build().withIdIfAbsent();
    }

    /**
     * {@code e}, sent while handling {@code in}, with the fields the runtime maintains whatever the brain wrote:
     * {@code hops} one more than {@code in}'s (never fewer than the brain's), {@code chain} = {@code in}'s chain and
     * sender, and {@code in}'s thread unless the brain named one. Brains cannot reset the loop guards.
     */
    static Envelope continuing(Envelope e, Envelope in) {
        List<String> chain = new ArrayList<>(in.chain());
        if (in.from() != null && (chain.isEmpty() || !chain.getLast().equals(in.from()))) {
            chain.add(in.from());
        }
        Envelope.Builder b = e.toBuilder().hops(Math.max(e.hops(), in.hops() + 1)).chain(chain);
        if (e.thread() == null) {
            b.thread(in.threadOrId());
        }
        return b.build();
    }

    /**
     * The outbox message for a ready envelope: routed by its {@code to}, its id as {@code Nats-Msg-Id}, continuing
     * the trace of {@code incoming} (what it answers) or starting one from its thread.
     */
    public OutboundMessage message(Envelope ready, Headers incoming) {
        return message(ready, incoming, null);
    }

    /** As {@link #message(Envelope, Headers)}, sent while {@code handling} a message (its span; see {@link Tracing}). */
    OutboundMessage message(Envelope ready, Headers incoming, Span handling) {
        String subject = router.subjectFor(ready);
        Headers h = new Headers();
        Tracing.traceparent(h, ready, incoming, handling);
        return new OutboundMessage(subject, h, scrub.apply(EnvelopeCodec.encode(ready)), ready.id());
    }

    /**
     * What an outcome sends: every envelope it publishes, from this agent, with an id derived from the handled
     * message ({@code {key}-{self}-{n}}) so that handling the same message again (after a crash before the ack)
     * publishes nothing new inside the stream's duplicate window, with the fields of {@link #continuing}; plus an
     * escalation to the agent's manager for blocked or failed.
     */
    List<Ready> prepare(Envelope in, String key, Outcome outcome, boolean request, Headers incoming,
            Span handling) {
        return prepare(in, key, outcome, request, false, incoming, handling);
    }

    /**
     * As {@link #prepare(Envelope, String, Outcome, boolean, Headers, Span)}; {@code late}: {@code in} arrived past its
     * deadline and was worked all the same ({@code late_tasks: work}), so everything it causes carries
     * {@code late: true}.
     */
    List<Ready> prepare(Envelope in, String key, Outcome outcome, boolean request, boolean late, Headers incoming,
            Span handling) {
        List<Ready> out = new ArrayList<>();
        int n = 0;
        for (Envelope e : outcome.published(request)) {
            Envelope ready = own(continuing(flagged(e, late), in), key + "-" + self + "-" + (++n));
            out.add(new Ready(ready, message(ready, incoming, handling)));
        }
        Envelope esc = switch (outcome) {
            case Outcome.Blocked b -> escalations.escalation(in, null, escalations.ownManager(),
                    ErrorCode.AGENT_BLOCKED, b.reason(), key + "-" + self + "-blocked");
            case Outcome.Failed f -> escalations.escalation(in, null, escalations.ownManager(),
                    ErrorCode.AGENT_HANDLER_FAILED, f.reason(), key + "-" + self + "-failed");
            default -> null;
        };
        if (esc != null) {
            esc = flagged(esc, late);
            out.add(new Ready(esc, message(esc, incoming, handling)));
        }
        return out;
    }

    private static Envelope flagged(Envelope e, boolean late) {
        return late ? e.toBuilder().extra(Guards.Deadline.LATE, BooleanNode.TRUE).build() : e;
    }

    /** Publishes and waits until every message is stored (bounded by {@code outboxWait}). */
    Uni<Void> store(List<OutboundMessage> messages) {
        if (messages.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Uni<Void>> each = new ArrayList<>();
        for (OutboundMessage m : messages) {
            // not journaled: the message being handled is acked only after these are stored, so a process that dies
            // first has it redelivered and these produced again under the same ids (ADR 0003); the journal's fsync
            // stays off the DM path
            each.add(Uni.createFrom().completionStage(() -> outbox.publish(m, false)).invoke(ack -> {
                if (!ack.isDuplicate()) {
                    metrics.sent();
                }
            }).replaceWithVoid());
        }
        return Uni.join().all(each).andFailFast().replaceWithVoid()
                .ifNoItem().after(outboxWait).on(timer)
                .failWith(() -> new OrgmeshException(ErrorCode.PUBLISH_NOT_ACKNOWLEDGED,
                        messages.size() + " outgoing message(s) not stored within " + outboxWait));
    }

    /** Publishes without waiting; the future completes when the stream has it. */
    public CompletableFuture<PublishAck> publish(OutboundMessage m) {
        return outbox.publish(m).whenComplete((ack, t) -> {
            if (t == null && !ack.isDuplicate()) {
                metrics.sent();
            }
        });
    }

    /**
     * Publishes an escalation the runtime made on its own, outside any handled message (a dead letter, an overdue
     * task), and tells the listener. The future completes when the stream has it.
     */
    public CompletableFuture<PublishAck> escalate(Envelope esc) {
        listener.onEscalated(esc);
        return publish(message(esc, null)).whenComplete((ack, e) -> {
            if (e != null) {
                LOG.warnf("escalation %s not sent: %s", esc.id(), e.getMessage());
            }
        });
    }
}
