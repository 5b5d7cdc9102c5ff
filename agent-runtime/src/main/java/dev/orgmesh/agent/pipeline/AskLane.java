package dev.orgmesh.agent.pipeline;

import java.time.Clock;
import java.util.List;

import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import io.opentelemetry.api.trace.Span;
import io.smallrye.mutiny.Uni;

import dev.orgmesh.agent.boot.AgentSoul;
import dev.orgmesh.agent.brain.HandlerContext;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Ids;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;

/**
 * The request lane: an ask on {@code {co}.ask.{self}.{from}} goes through the same {@link Guards} and
 * {@link BrainCall} as a stream message, and its settlement is the answer — the brain's reply, or an error reply with
 * its catalogue code. Nothing is redelivered: the caller has a timeout and a fallback. What else the answer causes is
 * sent through {@link Outgoing} without waiting.
 */
public final class AskLane {
    private static final Logger LOG = Logger.getLogger(AskLane.class);

    private final AgentSoul soul;
    private final String self;
    private final Tracing tracing;
    private final Connection connection;
    private final Guards guards;
    private final BrainCall brain;
    private final Outgoing outgoing;
    private final Diversions diversions;
    private final Settlements settlements;
    private final DeadlineTracker deadlines;
    private final Clock clock;
    private final AgentMetrics metrics;
    private final RuntimeListener listener;

    public AskLane(AgentSoul soul, Tracing tracing, Connection connection, Guards guards, BrainCall brain,
            Outgoing outgoing,
            Diversions diversions, Settlements settlements, DeadlineTracker deadlines, Clock clock,
            AgentMetrics metrics, RuntimeListener listener) {
        this.soul = soul;
        this.self = soul.agent().id();
        this.tracing = tracing;
        this.connection = connection;
        this.guards = guards;
        this.brain = brain;
        this.outgoing = outgoing;
        this.diversions = diversions;
        this.settlements = settlements;
        this.deadlines = deadlines;
        this.clock = clock;
        this.metrics = metrics;
        this.listener = listener;
    }

    /** Answers one request; returns at once. */
    public void onRequest(Message msg) {
        metrics.received("ask");
        String replyTo = msg.getReplyTo();
        try {
            // decoded and guarded on the dispatcher's thread: a request's guards never wait on the network (no
            // handled record, no approval), and one hop less to the brain shows in the ask's p99
            Uni.createFrom().item(() -> guards.inspect(msg.getData(), msg.getSubject(), "ask", null, null, 1, false))
                    .chain(step -> switch (step) {
                        case Step.Malformed m -> {
                            if (m.error().code() == ErrorCode.ENVELOPE_FORGED_SENDER) {
                                diversions.forgedAsk(msg, m);
                            }
                            yield Uni.createFrom().<byte[]>failure(m.error());
                        }
                        case Step.Report r -> Uni.createFrom().<byte[]>failure(
                                new OrgmeshException(r.code(), r.reason()));
                        case Step.Skip s -> Uni.createFrom().<byte[]>failure(
                                new OrgmeshException(ErrorCode.AGENT_LOOP_DETECTED, s.why()));
                        case Step.Work w -> answer(w.in(), msg.getHeaders());
                        case Step.Hold h -> Uni.createFrom().<byte[]>failure(new OrgmeshException(
                                ErrorCode.APPROVAL_REQUIRED, "ask " + h.in().id() + " from " + h.in().from()
                                        + " matches approval gate '" + h.gate().gate().id() + "'; an ask cannot wait"
                                        + " for a human: send it as a DM or task, which the gate holds"));
                        case Step.Defer x -> answer(x.in(), msg.getHeaders()); // requests are never redelivered
                    })
                    .subscribe().with(body -> {
                        if (replyTo != null && !settlements.crashed()) {
                            try {
                                connection.publish(replyTo, outgoing.scrubbed(body));
                            } catch (IllegalStateException e) {
                                LOG.debugf("answer not sent, the connection is closed: %s", e.getMessage());
                            }
                        }
                    }, t -> answerError(replyTo, t));
        } catch (RuntimeException e) {
            // nothing of the pipeline ran: the caller gets an error now rather than waiting out its timeout
            answerError(replyTo, new OrgmeshException(ErrorCode.AGENT_HANDLER_FAILED,
                    "the request could not be started: " + e, e));
        }
    }

    private void answerError(String replyTo, Throwable t) {
        Throwable cause = Settlements.unwrap(t);
        OrgmeshException e = cause instanceof OrgmeshException oe
                ? oe
                : new OrgmeshException(ErrorCode.AGENT_HANDLER_FAILED, String.valueOf(cause.getMessage()), cause);
        LOG.infof("%s answering a request with an error: %s", e.code().label(), e.getMessage());
        if (!settlements.crashed()) {
            try {
                Replies.error(connection, replyTo, e);
            } catch (IllegalStateException closed) {
                LOG.debugf("error answer not sent, the connection is closed: %s", closed.getMessage());
            }
        }
    }

    private Uni<byte[]> answer(Envelope in, Headers headers) {
        HandlerContext ctx = new HandlerContext(soul.agent(), soul.org(), "ask", 1, clock, List.of());
        String key = in.id() != null ? in.id() : Ids.next();
        long start = System.nanoTime();
        Span span = tracing.handle(self, "ask", in, headers);
        Span brainSpan = tracing.brain(span);
        return brain.call(in, ctx).onTermination().invoke((o, failure, cancelled) -> Tracing.end(brainSpan, failure))
                .map(outcome -> {
                    metrics.handled(System.nanoTime() - start, outcome);
                    listener.onHandled(in, "ask", outcome);
                    // what else the answer causes is sent, not awaited: the requester is waiting on a short timeout
                    for (Outgoing.Ready r : outgoing.prepare(in, key, outcome, true, headers, span)) {
                        outgoing.publish(r.message());
                        deadlines.track(r.envelope(), in);
                    }
                    return switch (outcome) {
                        case Outcome.Reply r ->
                            EnvelopeCodec.encode(outgoing.own(Outgoing.continuing(r.reply().toBuilder()
                                    .to(r.reply().to() != null ? r.reply().to() : in.from())
                                    .re(r.reply().re() != null ? r.reply().re() : in.id()).build(), in), null));
                        case Outcome.Blocked b -> throw new OrgmeshException(ErrorCode.AGENT_BLOCKED, b.reason());
                        case Outcome.Failed f -> throw new OrgmeshException(ErrorCode.AGENT_HANDLER_FAILED, f.reason());
                        default ->
                            EnvelopeCodec
                                    .encode(outgoing.own(in.reply(self, "answer").status("received").build(), null));
                    };
                }).onTermination().invoke((body, failure, cancelled) -> Tracing.end(span, failure));
    }
}
