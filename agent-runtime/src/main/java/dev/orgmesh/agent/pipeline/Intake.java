package dev.orgmesh.agent.pipeline;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.BooleanNode;

import io.nats.client.Message;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsJetStreamMetaData;
import io.opentelemetry.api.trace.Span;
import io.smallrye.mutiny.Uni;

import dev.orgmesh.agent.boot.AgentSoul;
import dev.orgmesh.agent.brain.HandlerContext;
import dev.orgmesh.agent.support.MutinyStart;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.envelope.Envelope;

/**
 * The first stage: a direct message, channel message, task or tick comes in on one of two lanes and is carried through
 * the stages after it, as one Mutiny {@link Uni} on the runtime's virtual threads:
 * <ul>
 * <li>the <b>stream lane</b>: a message from one of the agent's durables (inbox, team, all, tasks, events,
 * heartbeat), taken from the server only when its durable's {@link StreamLane} (a Mutiny {@code Multi} with
 * back-pressure and bounded concurrency) has room for it, and kept in progress every third of {@code ack_wait} while it
 * is worked;</li>
 * <li>the <b>fast lane</b> (ADR 0006): the core copy of a DM as it crossed the hub, worked at once when it is the first
 * copy of its id; its inbox copy, a moment behind, takes its settlement.</li>
 * </ul>
 * Each message is decoded and checked by the {@link Guards}; what they let through goes to the {@link BrainCall},
 * what it sends to {@link Outgoing} (stored before the message is acked), and the message is recorded as handled and
 * settled by {@link Settlements}. What the guards stop goes to the {@link Diversions}. Requests have their own lane,
 * {@link AskLane}.
 */
public final class Intake {
    private static final Logger LOG = Logger.getLogger(Intake.class);
    private static final Duration DEFAULT_ACK_WAIT = Duration.ofSeconds(30);
    /**
     * How long the first redelivery of a task that nobody recorded as handled is given back for: long enough for the
     * agent that had it to store its outputs once the hub is back (the outbox retries at most every 2 s), record it
     * and ack it.
     */
    static final Duration REDELIVERY_GRACE = Duration.ofSeconds(5);
    /** How long a fresh inbox copy of a DM waits for its core copy to claim it (ADR 0006). */
    static final Duration CORE_GRACE = Duration.ofMillis(5);
    /** An inbox copy stored less than this ago is fresh: its core copy may still be on its way. */
    private static final Duration FRESH = Duration.ofSeconds(1);
    /** How soon a message the pipeline could not take is redelivered. */
    static final Duration GIVEN_BACK_DELAY = Duration.ofSeconds(1);

    private final AgentSoul soul;
    private final Tracing tracing;
    private final Guards guards;
    private final BrainCall brain;
    private final Outgoing outgoing;
    private final Diversions diversions;
    private final Settlements settlements;
    private final DeadlineTracker deadlines;
    private final RecentIds recent;
    /** The company's handled record; {@code null}: this runtime's memory only. */
    private final HandledRecord handled;
    private final Executor workers;
    private final ScheduledExecutorService timer;
    private final Clock clock;
    private final int concurrency;
    private final AgentMetrics metrics;
    private final RuntimeListener listener;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Which copy of a direct message is worked, its core copy's or its inbox's (ADR 0006); null when off. */
    private final FastLane<Settlement> fast;
    /** Set when an earlier runtime of this agent may have crashed: see {@link #lookup}. */
    private volatile Instant recoverUntil;

    /**
     * @param fastLane whether core copies of DMs are worked (ADR 0006)
     * @param concurrency how many messages are worked at once (the fast lane's slots)
     * @param recentIds how many ids of handled messages this runtime remembers (the fast lane's too)
     */
    public Intake(AgentSoul soul, Tracing tracing, Guards guards, BrainCall brain, Outgoing outgoing,
            Diversions diversions,
            Settlements settlements, DeadlineTracker deadlines, RecentIds recent, HandledRecord handled,
            boolean fastLane, int concurrency, int recentIds, Executor workers, ScheduledExecutorService timer,
            Clock clock, AgentMetrics metrics, RuntimeListener listener) {
        MutinyStart.ensure();
        this.soul = soul;
        this.tracing = tracing;
        this.guards = guards;
        this.brain = brain;
        this.outgoing = outgoing;
        this.diversions = diversions;
        this.settlements = settlements;
        this.deadlines = deadlines;
        this.recent = recent;
        this.handled = handled;
        this.workers = workers;
        this.timer = timer;
        this.clock = clock;
        this.concurrency = concurrency;
        this.metrics = metrics;
        this.listener = listener;
        this.fast = fastLane ? new FastLane<>(concurrency, recentIds) : null;
    }

    // ---- the stream lane -------------------------------------------------------------------------------------

    /**
     * Works one message from the durable of {@code source} (whose {@code ack_wait} and {@code max_deliver} are given;
     * null or 0: the server's defaults); {@code settled} is called once it is settled. Returns at once: the work runs
     * on a virtual thread. Throws only when nothing of it started (and {@code settled} is then not called).
     */
    void onJetStream(String source, Message msg, Duration ackWait, long maxDeliver, Runnable settled) {
        metrics.received(source);
        NatsJetStreamMetaData meta = msg.metaData();
        Delivery d = new Delivery(source, meta.getStream(), meta.streamSequence(), meta.deliveredCount(),
                Math.max(0, maxDeliver), msg.getHeaders(),
                meta.timestamp() != null ? meta.timestamp().toInstant() : null);
        Duration wait = ackWait == null || ackWait.isZero() ? DEFAULT_ACK_WAIT : ackWait;
        long period = Math.max(100, wait.toMillis() / 3);
        ScheduledFuture<?> keepAlive = timer.scheduleAtFixedRate(() -> inProgress(msg), period, period,
                TimeUnit.MILLISECONDS);
        inFlight.incrementAndGet();

        // a direct message whose core copy was claimed by the fast lane is settled as that copy came out
        String fastId = fast != null && "dm".equals(source) ? messageId(msg.getHeaders()) : null;
        CompletableFuture<Settlement> adopted = fastId == null
                ? null
                : fresh(d) ? fast.claimStream(fastId, CORE_GRACE.toNanos()) : fast.claimStream(fastId);
        AtomicBoolean finished = new AtomicBoolean();
        Consumer<Settlement> finish = settlement -> {
            if (finished.compareAndSet(false, true)) {
                keepAlive.cancel(false);
                try {
                    if (settlement != null) {
                        settlements.settle(d, msg, settlement);
                    }
                } finally {
                    if (fastId != null && adopted == null) {
                        fast.release(fastId);
                    }
                    inFlight.decrementAndGet();
                    settled.run();
                }
            }
        };
        if (adopted != null) {
            adopted.whenCompleteAsync((settlement, t) -> {
                if (settlement == null) {
                    LOG.debugf("%s/%d: its core copy was left to it, working it", d.stream(), d.seq());
                    run(d, msg, finish);
                    return;
                }
                LOG.debugf("%s/%d settled as its core copy was: %s", d.stream(), d.seq(), settlement);
                if (settlement instanceof Settlement.GiveUp g) {
                    // its core copy failed for good: this copy, which has the stream position, is the dead letter
                    diversions.giveUp(d, msg, g.reason()).subscribe().with(finish,
                            e -> finish.accept(new Settlement.Nak(GIVEN_BACK_DELAY, e.toString())));
                    return;
                }
                finish.accept(settlement);
            }, workers);
            return;
        }
        run(d, msg, finish);
    }

    /**
     * A first delivery stored a moment ago, whose core copy may be right behind it (two client threads race). The
     * stored time is the hub's clock: a skewed agent clock only makes the inbox copy wait {@link #CORE_GRACE} in vain
     * or not at all.
     */
    private static boolean fresh(Delivery d) {
        return d.delivery() == 1 && d.stored() != null
                && Duration.between(d.stored(), Instant.now()).abs().compareTo(FRESH) < 0;
    }

    /** Runs the stages for a stream message; {@code finish} settles it once. */
    private void run(Delivery d, Message msg, Consumer<Settlement> finish) {
        try {
            Uni.createFrom()
                    .item(() -> guards.inspect(msg.getData(), msg.getSubject(), d.source(), d.positionId(),
                            msg.getHeaders(), d.delivery(), lookup(d)))
                    .runSubscriptionOn(workers)
                    .chain(step -> process(d, msg, step))
                    .onFailure().recoverWithItem(t -> settlements.failed(d, t))
                    .chain(s -> s instanceof Settlement.GiveUp g
                            ? diversions.giveUp(d, msg, g.reason())
                            : Uni.createFrom().item(s))
                    .emitOn(workers)
                    .subscribe().with(finish, t -> {
                        LOG.errorf("unexpected pipeline failure on %s/%d (given back for redelivery): %s", d.stream(),
                                d.seq(), t.toString());
                        finish.accept(new Settlement.Nak(GIVEN_BACK_DELAY, t.toString()));
                    });
        } catch (RuntimeException e) {
            // nothing of the pipeline ran: the message must not stay in progress (its keep-alive would hold it from
            // every consumer for good), so it goes back to the server at once
            LOG.errorf("could not start handling %s/%d (given back for redelivery in %s): %s", d.stream(), d.seq(),
                    GIVEN_BACK_DELAY, e.toString());
            finish.accept(new Settlement.Nak(GIVEN_BACK_DELAY, e.toString()));
        }
    }

    /** Where the guards' verdict leads. */
    private Uni<Settlement> process(Delivery d, Message msg, Step step) {
        return switch (step) {
            case Step.Skip s -> Uni.createFrom().<Settlement>item(new Settlement.Ack(s.in(), s.why()));
            case Step.Malformed m -> diversions.malformed(d, msg, m);
            case Step.Report r -> diversions.report(d, r).chain(v -> r.code() == ErrorCode.APPROVAL_FORGED
                    // the real release of that message may still come: not remembered as handled
                    ? Uni.createFrom().<Settlement>item(new Settlement.Ack(r.in(), r.code().name()))
                    : handledThen(d, r.in(), d.keyOf(r.in()), new Settlement.Ack(r.in(), r.code().name())));
            case Step.Work w -> work(d, w.in(), w.late());
            case Step.Hold h -> diversions.hold(d, msg, h);
            case Step.Defer x -> Uni.createFrom().<Settlement>item(new Settlement.Nak(REDELIVERY_GRACE, x.why()));
        };
    }

    /**
     * The brain, then what it sent stored, then the message recorded as handled and acked. {@code late}: it arrived
     * past its deadline; the brain sees {@code late: true} on it and everything it sends is flagged so.
     */
    private Uni<Settlement> work(Delivery d, Envelope arrived, boolean late) {
        Envelope in = late ? arrived.toBuilder().extra(Guards.Deadline.LATE, BooleanNode.TRUE).build() : arrived;
        HandlerContext ctx = new HandlerContext(soul.agent(), soul.org(), d.source(), d.delivery(), clock, List.of());
        String key = d.keyOf(in);
        long start = System.nanoTime();
        Span span = tracing.handle(soul.agent().id(), d.source(), in, d.headers());
        Span brainSpan = tracing.brain(span);
        return brain.call(in, ctx)
                .onTermination().invoke((o, failure, cancelled) -> Tracing.end(brainSpan, failure))
                .invoke(outcome -> {
                    metrics.handled(System.nanoTime() - start, outcome);
                    listener.onHandled(in, d.source(), outcome);
                })
                .chain(outcome -> {
                    List<Outgoing.Ready> ready = outgoing.prepare(in, key, outcome, false, late, d.headers(), span);
                    ready.forEach(r -> deadlines.track(r.envelope(), in));
                    Span storeSpan = tracing.store(span, ready.size());
                    return outgoing.store(ready.stream().map(Outgoing.Ready::message).toList())
                            .onTermination().invoke((v, failure, cancelled) -> Tracing.end(storeSpan, failure));
                })
                .chain(ignored -> handledThen(d, in, key, new Settlement.Ack(in, "handled")))
                .onTermination().invoke((s, failure, cancelled) -> Tracing.end(span, failure));
    }

    /**
     * Remembers {@code in} as handled once everything it caused is stored and before {@code settlement} (its ack): in
     * this runtime's memory and, unless this runtime crashed meanwhile, in the company's handled record. Runs on a
     * worker: the record is a (bounded) network call, and the outbox's thread completed what precedes it.
     */
    private Uni<Settlement> handledThen(Delivery d, Envelope in, String key, Settlement settlement) {
        recent.add(key);
        if (handled == null) {
            return Uni.createFrom().item(settlement);
        }
        return Uni.createFrom().item(() -> {
            if (!settlements.crashed() && handled.record(d.source(), key, clock.instant())) {
                listener.onRecorded(in, d.source());
            }
            return settlement;
        }).runSubscriptionOn(workers);
    }

    // ---- the fast lane: core copies of direct messages (ADR 0006) ---------------------------------------------

    /**
     * The core copy of a direct message, as it crossed the hub: worked now when it is the first copy of its id and a
     * fast slot is free, else dropped (the inbox's copy comes anyway). Its settlement waits for the inbox's copy,
     * which adopts it. A copy without {@code Nats-Msg-Id}, or whose envelope id differs from it, or that is not a
     * valid envelope, is left to the inbox's copy (a malformed message needs its stream position to be
     * dead-lettered). Returns at once.
     */
    public void onFast(Message msg) {
        String id = messageId(msg.getHeaders());
        if (fast == null || settlements.crashed() || id == null || recent.contains(id)) {
            return;
        }
        CompletableFuture<Settlement> ticket = fast.claimFast(id);
        if (ticket == null) {
            LOG.debugf("core copy of %s dropped: its inbox copy came first, or all %d fast slots are busy", id,
                    concurrency);
            metrics.fastLane("dropped");
            return;
        }
        inFlight.incrementAndGet();
        Delivery d = new Delivery("dm", soul.org().subjects().inboxStream(), 0, 1, 0, msg.getHeaders(), null);
        AtomicBoolean finished = new AtomicBoolean();
        Consumer<Settlement> finish = settlement -> {
            if (finished.compareAndSet(false, true)) {
                metrics.fastLane(settlement == null ? "left" : "worked");
                fast.done(id, ticket, settlement);
                inFlight.decrementAndGet();
            }
        };
        try {
            boolean lookup = lookup(d);
            Uni<Step> inspected = Uni.createFrom().item(() -> {
                Guards.Decoded dec = Guards.decode(msg.getData(), null);
                if (dec.in() == null || !id.equals(dec.in().id())) {
                    return null;
                }
                return guards.run(new Guards.Inspection(dec.in(), dec.raw(), msg.getSubject(), "dm",
                        msg.getHeaders(), 1, lookup, false));
            });
            // the guards run on the dispatcher's thread (one hop less to the brain) unless they may wait on the
            // network: the handled record after a crash, an approval record
            boolean mayWait = lookup || msg.getHeaders().getFirst(HeaderNames.APPROVAL) != null;
            (mayWait ? inspected.runSubscriptionOn(workers) : inspected)
                    // a malformed copy needs its stream position to be dead-lettered, a held one to be verified by
                    // the approval desk: both are left to the inbox's copy
                    .chain(step -> step == null || step instanceof Step.Malformed || step instanceof Step.Hold
                            ? Uni.createFrom().<Settlement>nullItem()
                            : process(d, msg, step))
                    .onFailure().recoverWithItem(t -> settlements.failed(d, t))
                    .emitOn(workers)
                    .subscribe().with(finish, t -> finish.accept(null));
        } catch (RuntimeException e) {
            LOG.debugf("core copy of %s not taken, left to the inbox: %s", id, e.toString());
            finish.accept(null);
        }
    }

    /** Core copies being worked or waiting for their inbox copy to adopt them (a graceful stop waits for them). */
    public int fastPending() {
        return fast == null ? 0 : fast.pending();
    }

    /** Messages received on either lane and not yet settled. */
    public int inFlight() {
        return inFlight.get();
    }

    /** The publisher's {@code Nats-Msg-Id}: the envelope id, for messages sent through an outbox. */
    private static String messageId(Headers h) {
        return h == null ? null : h.getFirst("Nats-Msg-Id");
    }

    private void inProgress(Message msg) {
        if (!settlements.crashed()) {
            try {
                msg.inProgress();
            } catch (RuntimeException e) {
                LOG.debugf("in-progress ack failed: %s", e.toString());
            }
        }
    }

    /**
     * Whether the guards ask the shared handled record about this delivery. Only when it may have reached a brain
     * before: a redelivery; or, after an earlier runtime of this agent may have crashed, a direct message that
     * runtime may have taken from its core copy — stored before this runtime's recovery window ended, or a core copy
     * arriving within it (ADR 0006). A first delivery from a consumer otherwise cannot have (publishers' duplicates are
     * dropped by the stream's Nats-Msg-Id window), and asking on every message cost a round trip before each brain
     * (the pipeline's throughput fell from 0.78x to 0.48x raw).
     */
    private boolean lookup(Delivery d) {
        if (d.delivery() > 1) {
            return true;
        }
        Instant until = recoverUntil;
        if (until == null || !"dm".equals(d.source())) {
            return false;
        }
        return d.core() ? Instant.now().isBefore(until) : d.stored() == null || d.stored().isBefore(until);
    }

    /**
     * An earlier runtime of this agent may have crashed: direct messages stored before {@code until}, and core copies
     * arriving before it, are looked up in the handled record before they reach the brain.
     */
    public void recover(Instant until) {
        recoverUntil = until;
    }
}
