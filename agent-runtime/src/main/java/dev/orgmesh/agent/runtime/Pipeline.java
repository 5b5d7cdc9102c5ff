package dev.orgmesh.agent.runtime;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsJetStreamMetaData;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.unchecked.Unchecked;

import dev.orgmesh.agent.boot.AgentSoul;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.HandlerContext;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.brain.TransientException;
import dev.orgmesh.agent.budget.Budgets;
import dev.orgmesh.agent.support.MutinyStart;
import dev.orgmesh.messaging.Replies;
import dev.orgmesh.messaging.flow.DeadLetter;
import dev.orgmesh.messaging.flow.DeadLetters;
import dev.orgmesh.messaging.flow.OutboundMessage;
import dev.orgmesh.messaging.flow.Outbox;
import dev.orgmesh.protocol.BudgetWire;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Ids;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.TraceContext;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.envelope.Priority;

/**
 * What happens to one message (docs/architecture.md, "The path of a message"), as a Mutiny {@link Uni} per message on
 * virtual threads: decode and validate → guards (own message, handled before — this runtime's {@link RecentIds}, then
 * the company's {@link HandledRecord} —, hop limit, thread cycle, deadline, per-sender rate) → handler → outbox →
 * handled record → settle. Every settlement is an explicit decision with its reason:
 * <ul>
 * <li><b>ack</b> — handled, everything it caused is stored and it is recorded as handled; or skipped on purpose (own,
 * duplicate); or not handled but reported (deadline passed, loop: the manager is told); or malformed and
 * dead-lettered;</li>
 * <li><b>nak with delay</b> — the handler threw (a {@link TransientException} with its delay, anything else with
 * the backoff for this delivery) or the outbox could not store the outgoing messages in time. After
 * {@code max_deliver} the server gives up and the {@code DeadLetterMover} moves the message, with the last failure
 * recorded here as its reason;</li>
 * <li><b>in progress</b> — every third of {@code ack_wait} while the message is being worked, so long work is not
 * redelivered.</li>
 * </ul>
 * Requests on {@code {co}.ask.{self}} go through the same decode and handler; their settlement is the reply.
 */
final class Pipeline {
    private static final Logger LOG = Logger.getLogger(Pipeline.class);
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
    private static final int FAILURES_KEPT = 1024;
    private static final Duration BUDGET_POLL = Duration.ofSeconds(1);

    private final AgentSoul soul;
    private final String self;
    private final Subjects subjects;
    private final Handler handler;
    private final Outbox outbox;
    private final DeadLetters deadLetters;
    private final Connection connection;
    private final RuntimeOptions options;
    private final AgentMetrics metrics;
    private final RuntimeListener listener;
    private final Executor workers;
    private final ScheduledExecutorService timer;
    private final Router router;
    private final Escalations escalations;
    private final RecentIds recent;
    private final LoopGuards loops;
    private final DeadlineTracker deadlines;
    /** The checks before the brain, in order. */
    private final Guards guards;
    private final Budgets budgets;
    /** Whether it was said once that spend goes uncounted (no desk, no budgets in the org). */
    private final AtomicBoolean budgetUncounted = new AtomicBoolean();
    /** In an org without budgets, when to ask an unreachable budget desk again ({@link System#nanoTime}; 0: now). */
    private volatile long deskAwayUntil;
    private static final Duration DESK_RETRY = Duration.ofSeconds(30);
    private final HeartbeatCheck heartbeats;
    /** The company's handled record; {@code null}: this runtime's memory only. */
    private final HandledRecord handled;
    /** Applied to every body this agent publishes: removes known secret values (set by the service). */
    private volatile UnaryOperator<byte[]> outgoing = UnaryOperator.identity();
    private final Set<String> budgetTold = ConcurrentHashMap.newKeySet();
    private final Map<String, String> failures = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > FAILURES_KEPT;
        }
    };
    /** Settlements hold the read lock; a simulated crash takes the write lock so none is half done. */
    private final ReadWriteLock settling = new ReentrantReadWriteLock();
    private volatile boolean crashed;
    private final Semaphore handlerSlots;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Which copy of a direct message is worked, its core copy's or its inbox's (ADR 0006); null when off. */
    private final FastLane<Settlement> fast;
    /** Set when an earlier runtime of this agent may have crashed: see {@link #lookup}. */
    private volatile Instant recoverUntil;

    Pipeline(AgentSoul soul, Handler handler, Outbox outbox, DeadLetters deadLetters, Connection connection,
            RuntimeOptions options, AgentMetrics metrics, RuntimeListener listener, Executor workers,
            ScheduledExecutorService timer, Semaphore handlerSlots, DeadlineTracker deadlines, Gatekeeper gates,
            Budgets budgets, HeartbeatCheck heartbeats, HandledRecord handled) {
        MutinyStart.ensure();
        this.heartbeats = heartbeats;
        this.handled = handled;
        this.budgets = budgets;
        this.handlerSlots = handlerSlots;
        this.soul = soul;
        this.self = soul.agent().id();
        this.subjects = soul.org().subjects();
        this.handler = handler;
        this.outbox = outbox;
        this.deadLetters = deadLetters;
        this.connection = connection;
        this.options = options;
        this.metrics = metrics;
        this.listener = listener;
        this.workers = workers;
        this.timer = timer;
        this.router = new Router(soul.org());
        this.escalations = new Escalations(soul.org(), self);
        this.recent = new RecentIds(options.recentIds());
        this.loops = new LoopGuards(self, options.maxChainRepeats(), options.pairRateLimit(), options.clock());
        this.deadlines = deadlines;
        this.guards = Guards.standard(self, subjects, recent, handled, deadlines, heartbeats, gates, loops, options,
                zoneOf(soul), metrics, listener);
        this.fast = options.fastLane() ? new FastLane<>(options.concurrency(), options.recentIds()) : null;
    }

    /** The workspace's HEARTBEAT.md, for due items. */
    void heartbeatChecklist(Path file) {
        if (heartbeats != null) {
            heartbeats.checklist(file);
        }
    }

    /** Every body this agent publishes goes through {@code filter} (secret scrubbing). */
    void filterOutgoing(UnaryOperator<byte[]> filter) {
        this.outgoing = filter;
    }

    /** The agent's time zone (its heartbeat's), in which a deadline written as a date ends. */
    static ZoneId zoneOf(AgentSoul soul) {
        return soul.agent().heartbeat() != null && soul.agent().heartbeat().tz() != null
                ? soul.agent().heartbeat().tz()
                : ZoneOffset.UTC;
    }

    // ---- steps -----------------------------------------------------------------------------------------------

    /** How a JetStream message is settled. */
    private sealed interface Settlement {
        record Ack(Envelope in, String why) implements Settlement {
        }

        record Nak(Duration delay, String reason) implements Settlement {
        }
    }

    /** Identifies a delivery: the stream message for failure bookkeeping, the envelope for the recent-ids guard. */
    private record Delivery(String source, String stream, long seq, long delivery, Headers headers, Instant stored) {
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
         * The id an envelope without one gets (a shell {@code nats pub}, as in the seed): its stream position, the
         * same for every agent that receives it and for every redelivery, so replies can name it in {@code re}.
         */
        String positionId() {
            return "s-" + stream + "-" + seq;
        }
    }

    // ---- JetStream messages ----------------------------------------------------------------------------------

    /**
     * Works one message from a durable; {@code release} is called once it is settled (its handler slot is free).
     * Returns at once: the work runs on a virtual thread.
     */
    void onJetStream(Source source, Message msg, Duration ackWait, Runnable release) {
        metrics.received(source.name());
        inFlight.incrementAndGet();
        NatsJetStreamMetaData meta = msg.metaData();
        Delivery d = new Delivery(source.name(), meta.getStream(), meta.streamSequence(), meta.deliveredCount(),
                msg.getHeaders(), meta.timestamp() != null ? meta.timestamp().toInstant() : null);
        Duration wait = ackWait == null || ackWait.isZero() ? DEFAULT_ACK_WAIT : ackWait;
        long period = Math.max(100, wait.toMillis() / 3);
        ScheduledFuture<?> keepAlive = timer.scheduleAtFixedRate(() -> inProgress(msg), period, period,
                TimeUnit.MILLISECONDS);

        // a direct message whose core copy was claimed by the fast lane is settled as that copy came out
        String fastId = fast != null && "dm".equals(source.name()) ? messageId(msg.getHeaders()) : null;
        CompletableFuture<Settlement> adopted = fastId == null
                ? null
                : fresh(d) ? fast.claimStream(fastId, CORE_GRACE.toNanos()) : fast.claimStream(fastId);
        AtomicBoolean finished = new AtomicBoolean();
        Consumer<Settlement> finish = settlement -> {
            if (finished.compareAndSet(false, true)) {
                keepAlive.cancel(false);
                try {
                    if (settlement != null) {
                        settle(d, msg, settlement);
                    }
                } finally {
                    if (fastId != null && adopted == null) {
                        fast.release(fastId);
                    }
                    inFlight.decrementAndGet();
                    release.run();
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
                if (settlement instanceof Settlement.Nak n) {
                    synchronized (failures) {
                        failures.put(d.streamKey(), n.reason() + " (delivery " + d.delivery() + ")");
                    }
                }
                LOG.debugf("%s/%d settled as its core copy was: %s", d.stream(), d.seq(), settlement);
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

    /** Runs the whole pipeline for a stream message; {@code finish} settles it once. */
    private void run(Delivery d, Message msg, Consumer<Settlement> finish) {
        try {
            Uni.createFrom()
                    .item(() -> inspect(msg.getData(), msg.getSubject(), d.source(), d.positionId(), msg.getHeaders(),
                            d.delivery(), lookup(d)))
                    .runSubscriptionOn(workers)
                    .chain(step -> process(d, msg, step))
                    .onFailure().recoverWithItem(t -> failed(d, t))
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

    /** What a guard's decision leads to. */
    private Uni<Settlement> process(Delivery d, Message msg, Step step) {
        return switch (step) {
            case Step.Skip s -> Uni.createFrom().<Settlement>item(new Settlement.Ack(s.in(), s.why()));
            case Step.Malformed m -> malformed(d, msg, m);
            case Step.Report r -> report(d, r);
            case Step.Work w -> work(d, w.in());
            case Step.Hold h -> hold(d, msg, h);
            case Step.Defer x -> Uni.createFrom().<Settlement>item(new Settlement.Nak(REDELIVERY_GRACE, x.why()));
        };
    }

    // ---- the fast lane: core copies of direct messages (ADR 0006) ---------------------------------------------

    /**
     * The core copy of a direct message, as it crossed the hub: worked now when it is the first copy of its id and a
     * fast slot is free, else dropped (the inbox's copy comes anyway). Its settlement waits for the inbox's copy,
     * which adopts it. A copy without {@code Nats-Msg-Id}, or whose envelope id differs from it, or that is not a
     * valid envelope, is left to the inbox's copy (a malformed message needs its stream position to be
     * dead-lettered). Returns at once.
     */
    void onFast(Message msg) {
        String id = messageId(msg.getHeaders());
        if (fast == null || crashed || id == null || recent.contains(id)) {
            return;
        }
        CompletableFuture<Settlement> ticket = fast.claimFast(id);
        if (ticket == null) {
            LOG.debugf("core copy of %s dropped: its inbox copy came first, or all %d fast slots are busy", id,
                    options.concurrency());
            metrics.fastLane("dropped");
            return;
        }
        inFlight.incrementAndGet();
        Delivery d = new Delivery("dm", subjects.inboxStream(), 0, 1, msg.getHeaders(), null);
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
                Decoded dec = decode(msg.getData(), null);
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
                    .onFailure().recoverWithItem(t -> failed(d, t))
                    .emitOn(workers)
                    .subscribe().with(finish, t -> finish.accept(null));
        } catch (RuntimeException e) {
            LOG.debugf("core copy of %s not taken, left to the inbox: %s", id, e.toString());
            finish.accept(null);
        }
    }

    /** Core copies being worked or waiting for their inbox copy to adopt them (a graceful stop waits for them). */
    int fastPending() {
        return fast == null ? 0 : fast.pending();
    }

    /** The publisher's {@code Nats-Msg-Id}: the envelope id, for messages sent through an outbox. */
    private static String messageId(Headers h) {
        return h == null ? null : h.getFirst("Nats-Msg-Id");
    }

    private void inProgress(Message msg) {
        if (!crashed) {
            try {
                msg.inProgress();
            } catch (RuntimeException e) {
                LOG.debugf("in-progress ack failed: %s", e.toString());
            }
        }
    }

    /**
     * Decodes and runs the guards. {@code positionId} is the id given to an envelope without one; {@code null} for a
     * request, which is answered, never skipped as own or duplicate and not rate-limited. {@code delivery} is the
     * consumer's delivery count (1 for a first delivery and for requests); {@code lookup}: ask the handled record.
     */
    private Step inspect(byte[] body, String subject, String source, String positionId, Headers headers,
            long delivery, boolean lookup) {
        Decoded dec = decode(body, positionId);
        if (dec.malformed() != null) {
            return dec.malformed();
        }
        return guards.run(new Guards.Inspection(dec.in(), dec.raw(), subject, source, headers, delivery, lookup,
                positionId == null));
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
    void recover(Instant until) {
        recoverUntil = until;
    }

    /** A body read as an envelope, or why it is not one. */
    private record Decoded(ObjectNode raw, Envelope in, Step.Malformed malformed) {
    }

    /** Parses and decodes; an envelope without an id gets {@code positionId} when there is one. */
    private static Decoded decode(byte[] body, String positionId) {
        ObjectNode raw;
        Envelope in;
        try {
            raw = EnvelopeCodec.parse(body, EnvelopeCodec.DEFAULT_MAX_BYTES);
        } catch (OrgmeshException e) {
            return new Decoded(null, null, new Step.Malformed(e, null));
        }
        try {
            in = EnvelopeCodec.fromTree(raw);
        } catch (OrgmeshException e) {
            return new Decoded(raw, null, new Step.Malformed(e, raw));
        }
        if (in.id() == null && positionId != null) {
            in = in.toBuilder().id(positionId).build();
        }
        return new Decoded(raw, in, null);
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
            if (!crashed && handled.record(d.source(), key, options.clock().instant())) {
                listener.onRecorded(in, d.source());
            }
            return settlement;
        }).runSubscriptionOn(workers);
    }

    private Uni<Settlement> work(Delivery d, Envelope in) {
        HandlerContext ctx = new HandlerContext(soul.agent(), soul.org(), d.source(), d.delivery(),
                options.clock(), List.of());
        String key = d.keyOf(in);
        long start = System.nanoTime();
        return runHandler(in, ctx)
                .invoke(outcome -> {
                    metrics.handled(System.nanoTime() - start, kind(outcome));
                    listener.onHandled(in, d.source(), outcome);
                })
                .chain(outcome -> store(prepare(in, key, outcome, false, d.headers())))
                .chain(ignored -> handledThen(d, in, key, new Settlement.Ack(in, "handled")));
    }

    /**
     * Reserves budget (waiting, without a timeout, while a hard limit is reached: the message stays in progress and
     * the model is not called), runs the handler under its timeout, then settles the reservation to what the brain
     * reported.
     */
    private Uni<Outcome> runHandler(Envelope in, HandlerContext ctx) {
        return reserveBudget(in, !"ask".equals(ctx.source())).chain(r -> r.none()
                // nothing reserved, nothing to settle: no hop to another thread (it showed in the ask's p99)
                ? invokeHandler(in, ctx)
                : invokeHandler(in, ctx).onTermination().call(() -> Uni.createFrom().voidItem()
                        .invoke(Unchecked.consumer(v -> settle(r, ctx))).runSubscriptionOn(workers)));
    }

    /**
     * {@code wait}: a stream message waits for budget (it stays in progress, nothing lost); a request is answered at
     * once with {@code BUDGET_EXHAUSTED} instead, since its caller is on a short timeout and has a fallback.
     */
    private Uni<Budgets.Reservation> reserveBudget(Envelope in, boolean wait) {
        if (budgets == null || !handler.spendsBudget()) {
            return Uni.createFrom().item(Budgets.Reservation.NONE);
        }
        if (deskAwayUntil != 0 && System.nanoTime() - deskAwayUntil < 0) {
            return Uni.createFrom().item(Budgets.Reservation.NONE);
        }
        return Uni.createFrom().item(Unchecked.supplier(() -> {
            boolean waited = false;
            while (true) {
                Budgets.Result r;
                try {
                    r = budgets.reserve(soul.org().oversight().reserveTokens());
                } catch (IOException deskAway) {
                    if (!soul.org().oversight().hasBudgets()) {
                        // an org without budgets, run without hub-bootstrap: nothing to enforce, spend not counted
                        // (asked again after a while, so a desk that comes back counts again)
                        deskAwayUntil = System.nanoTime() + DESK_RETRY.toNanos();
                        if (budgetUncounted.compareAndSet(false, true)) {
                            LOG.warnf("%s: %s; the org sets no budget, so %s calls its model without counting"
                                    + " its spend", self, deskAway.getMessage(), self);
                        }
                        return Budgets.Reservation.NONE;
                    }
                    // the desk (hub-bootstrap) keeps the counters: without it the model is not called; a stream
                    // message waits in progress, a request is answered at once
                    if (!wait) {
                        throw new OrgmeshException(ErrorCode.BUDGET_EXHAUSTED, self + " cannot reserve budget: "
                                + deskAway.getMessage());
                    }
                    if (!waited) {
                        LOG.warnf("%s waits to call its model: %s", self, deskAway.getMessage());
                    }
                    waited = true;
                    if (crashed) {
                        throw new TransientException("stopping while waiting for the budget desk");
                    }
                    Thread.sleep(BUDGET_POLL);
                    continue;
                }
                if (r.ok()) {
                    if (waited) {
                        LOG.infof("budget available again: %s goes on with %s", self, describe(in));
                    }
                    return r.granted();
                }
                exhausted(r.refused(), in);
                if (!wait) {
                    throw new OrgmeshException(ErrorCode.BUDGET_EXHAUSTED, self + " cannot call its model: "
                            + r.refused().describe());
                }
                waited = true;
                if (crashed) {
                    throw new TransientException("stopping while waiting for budget");
                }
                Thread.sleep(BUDGET_POLL); // a raised limit is seen within this
            }
        })).runSubscriptionOn(workers);
    }

    private void settle(Budgets.Reservation r, HandlerContext ctx) {
        if (r.none()) {
            return;
        }
        long tokens = ctx.usage().calls() > 0 ? ctx.usage().tokens() : r.tokens();
        try {
            budgets.settle(r, tokens, ctx.usage().microUsd());
        } catch (IOException e) {
            LOG.warnf("budget not settled (%d tokens stay reserved): %s", r.tokens(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Tells the manager, the humans and the events stream, once per limit and period, that the agent stopped. */
    private void exhausted(BudgetWire.Refusal x, Envelope in) {
        if (!budgetTold.add(x.key())) {
            return;
        }
        String text = ErrorCode.BUDGET_EXHAUSTED.label() + " BUDGET_EXHAUSTED: " + self + " stops calling its model: "
                + x.describe() + ". Messages wait in their streams, none is lost. Raise the limit to resume: orgmesh"
                + " budget ORG set " + x.kind() + " " + x.id() + " --"
                + (x.measure().equals("usd") ? "usd" : "tokens") + "-per-" + (x.period().startsWith("d")
                        ? "day"
                        : "month")
                + " N";
        LOG.warn(text);
        LinkedHashSet<String> tell = new LinkedHashSet<>();
        tell.add(escalations.ownManager());
        soul.org().humans().forEach(h -> tell.add(h.id()));
        String base = "budget-" + self + "-" + x.key();
        for (String who : tell) {
            Envelope e = Envelope.builder().id(base + "-" + who).from(self).to(who).type("escalation")
                    .priority(Priority.HIGH).subject("Budget exhausted: " + self)
                    .context(text).re(in.id()).thread(in.threadOrId()).ts(options.clock().instant()).build();
            outbox.publish(message(e, null));
        }
        Envelope ev = Envelope.builder().id(base + "-event").from(self).type("event")
                .subject("budget.exhausted: " + self).context(text).ts(options.clock().instant()).build();
        outbox.publish(new OutboundMessage(subjects.event(self, "budget.exhausted"), null,
                outgoing.apply(EnvelopeCodec.encode(ev)), ev.id()));
    }

    private Uni<Outcome> invokeHandler(Envelope in, HandlerContext ctx) {
        // where the brain is called: on the virtual thread that already carries the message (a stream message's
        // guards ran on one), or where the message arrived when the handler never blocks (waiting for a slot is then
        // brief: only calls of this same non-blocking handler hold them); else on a virtual thread of its own. Every
        // thread hop shows in the latency of a message (docs/benchmarks.md).
        boolean here = Workers.onWorker() || !handler.blocking(in);
        Uni<Outcome> call = Uni.createFrom().item(Unchecked.supplier(() -> {
            handlerSlots.acquire();
            try {
                Outcome o = handler.handle(in, ctx);
                return o != null ? o : Outcome.nothing();
            } finally {
                handlerSlots.release();
            }
        }));
        return (here ? call : call.runSubscriptionOn(workers))
                // timeouts run on this runtime's own timer, not Mutiny's global pool (which a Quarkus app in the same
                // JVM replaces and may shut down); a timeout that cannot be scheduled would leave the message hanging
                .ifNoItem().after(options.handlerTimeout()).on(timer)
                .failWith(() -> new TransientException("handler did not finish within " + options.handlerTimeout()));
    }

    /** Publishes through the outbox and waits until every message is stored (bounded by {@code outboxWait}). */
    private Uni<Void> store(List<OutboundMessage> messages) {
        if (messages.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Uni<Void>> each = new ArrayList<>();
        for (OutboundMessage m : messages) {
            each.add(Uni.createFrom().completionStage(() -> outbox.publish(m)).invoke(ack -> {
                if (!ack.isDuplicate()) {
                    metrics.sent();
                }
            }).replaceWithVoid());
        }
        return Uni.join().all(each).andFailFast().replaceWithVoid()
                .ifNoItem().after(options.outboxWait()).on(timer)
                .failWith(() -> new OrgmeshException(ErrorCode.PUBLISH_NOT_ACKNOWLEDGED,
                        messages.size() + " outgoing message(s) not stored within " + options.outboxWait()));
    }

    /**
     * The outbox messages of an outcome: every envelope it publishes, from this agent, with an id derived from the
     * handled message ({@code {key}-{self}-{n}}) so that handling the same message again (after a crash before the
     * ack) publishes nothing new inside the stream's duplicate window, and with the runtime-maintained fields of
     * {@link #continuing}; plus an escalation for blocked or failed. Tasks with a deadline are tracked.
     */
    private List<OutboundMessage> prepare(Envelope in, String key, Outcome outcome, boolean request,
            Headers incoming) {
        List<OutboundMessage> out = new ArrayList<>();
        int n = 0;
        for (Envelope e : outcome.published(request)) {
            Envelope ready = outgoing(continuing(e, in), key + "-" + self + "-" + (++n));
            out.add(message(ready, incoming));
            deadlines.track(ready);
        }
        switch (outcome) {
            case Outcome.Blocked b -> out.add(message(escalations.escalation(in, null, escalations.ownManager(),
                    ErrorCode.AGENT_BLOCKED, b.reason(), key + "-" + self + "-blocked"), incoming));
            case Outcome.Failed f -> out.add(message(escalations.escalation(in, null, escalations.ownManager(),
                    ErrorCode.AGENT_HANDLER_FAILED, f.reason(), key + "-" + self + "-failed"), incoming));
            default -> {
            }
        }
        return out;
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

    /** {@code e} as this agent sends it: from self, with an id ({@code id} when given) and a timestamp. */
    Envelope outgoing(Envelope e, String id) {
        Envelope.Builder b = e.toBuilder().from(self);
        if (id != null) {
            b.id(id);
        }
        Envelope built = b.build();
        return built.ts() != null
                ? built.withIdIfAbsent()
                : built.toBuilder().ts(options.clock().instant()).build()
                        .withIdIfAbsent();
    }

    /** The outbox message for a ready envelope: routed by its {@code to}, its id as {@code Nats-Msg-Id}. */
    OutboundMessage message(Envelope ready, Headers incoming) {
        String subject = router.subjectFor(ready);
        // W3C trace context: continue the trace of what this answers, or start one from the thread (docs/oversight.md)
        String parent = incoming == null ? null : incoming.getFirst(HeaderNames.TRACEPARENT);
        Headers h = new Headers().put(HeaderNames.TRACEPARENT,
                TraceContext.traceparent(parent, ready.threadOrId(), ready.id()));
        return new OutboundMessage(subject, h, outgoing.apply(EnvelopeCodec.encode(ready)), ready.id());
    }

    /**
     * Hands a gated message to the approval desk ({@code {co}.human.hold}, de-duplicated by approval id so several
     * recipients of one message hold it once) and acks it only once the hold is stored. It is not remembered as
     * handled: the release comes back with the same id.
     */
    private Uni<Settlement> hold(Delivery d, Message msg, Step.Hold h) {
        Headers hh = new Headers().put(HeaderNames.HOLD_GATE, h.gate().gate().id())
                .put(HeaderNames.HOLD_SUBJECT, msg.getSubject())
                .put(HeaderNames.HOLD_RECIPIENT, h.gate().recipient());
        String stored = DeadLetters.storedAt(d.headers(), d.stream(), d.seq());
        if (stored != null) {
            hh.put(HeaderNames.HOLD_STORED_AT, stored);
        }
        if (d.headers() != null && d.headers().getFirst(HeaderNames.TRACEPARENT) != null) {
            hh.put(HeaderNames.TRACEPARENT,
                    d.headers().getFirst(HeaderNames.TRACEPARENT));
        }
        OutboundMessage m = new OutboundMessage(subjects.humanHold(self), hh, msg.getData(), h.gate().approvalId());
        return store(List.of(m)).map(v -> {
            LOG.infof("held %s for approval %s (gate %s)", describe(h.in()), h.gate().approvalId(),
                    h.gate().gate().id());
            listener.onHeld(h.in(), h.gate().approvalId());
            return (Settlement) new Settlement.Ack(h.in(), "held for approval " + h.gate().approvalId());
        });
    }

    private Uni<Settlement> report(Delivery d, Step.Report r) {
        String key = d.keyOf(r.in());
        Envelope esc = escalations.escalation(r.in(), r.raw(), escalations.ownManager(), r.code(), r.reason(),
                key + "-" + self + "-" + r.code().code());
        LOG.infof("%s not handling %s: %s", r.code().label(), describe(r.in()), r.reason());
        Settlement ack = new Settlement.Ack(r.in(), r.code().name());
        return store(List.of(message(esc, d.headers()))).chain(v -> r.code() == ErrorCode.APPROVAL_FORGED
                ? Uni.createFrom().item(ack) // the real release of that message may still come
                : handledThen(d, r.in(), key, ack));
    }

    private Uni<Settlement> malformed(Delivery d, Message msg, Step.Malformed m) {
        return Uni.createFrom().item(Unchecked.supplier(() -> {
            DeadLetter dl = deadLetters.publish(d.stream(), d.seq(), msg.getSubject(), msg.getHeaders(),
                    msg.getData() == null ? new byte[0] : msg.getData(), m.error().code(), m.error().getMessage());
            if (!dl.duplicate()) {
                metrics.deadLettered();
                listener.onDeadLettered(dl);
            }
            // a forged message is answered to whoever really sent it, never to the member it names
            (m.error().code() == ErrorCode.ENVELOPE_FORGED_SENDER ? member(m.realSender()) : senderOf(m.raw()))
                    .ifPresent(sender -> outbox.publish(message(errorReply(sender, m), null)));
            return (Settlement) new Settlement.Ack(null, "malformed, dead-lettered");
        })).runSubscriptionOn(workers);
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
        if (id == null || !Subjects.SAFE_TOKEN.matcher(id).matches() || id.equals(self)
                || soul.org().member(id).isEmpty()) {
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

    private Settlement failed(Delivery d, Throwable t) {
        Throwable cause = unwrap(t);
        Duration delay = options.nakBackoff().delay((int) Math.max(1, d.delivery()));
        String reason;
        if (cause instanceof TransientException te) {
            if (te.retryAfter() != null) {
                delay = te.retryAfter();
            }
            reason = "transient: " + te.getMessage();
        } else if (cause instanceof OrgmeshException oe) {
            reason = oe.code().label() + " " + oe.getMessage();
        } else {
            reason = ErrorCode.AGENT_HANDLER_FAILED.label() + " handler failed: " + cause;
        }
        if (!d.core()) { // a core copy's failure is recorded by the inbox's copy that adopts it
            synchronized (failures) {
                failures.put(d.streamKey(), reason + " (delivery " + d.delivery() + ")");
            }
        }
        LOG.warnf("%s from %s, delivery %d, will be redelivered in %d ms: %s", d.where(), d.source(), d.delivery(),
                delay.toMillis(), reason);
        return new Settlement.Nak(delay, reason);
    }

    /** Stream messages received and not yet settled. */
    int inFlight() {
        return inFlight.get();
    }

    /** The last failure recorded for a stream message, for its dead letter. */
    String lastFailure(String stream, long seq) {
        synchronized (failures) {
            return failures.get(stream + ":" + seq);
        }
    }

    private void settle(Delivery d, Message msg, Settlement s) {
        settling.readLock().lock();
        try {
            if (crashed) {
                return;
            }
            switch (s) {
                case Settlement.Ack a -> {
                    try {
                        msg.ackSync(options.ackTimeout());
                        if (a.in() != null && "handled".equals(a.why())) {
                            listener.onCompleted(a.in(), d.source());
                        }
                    } catch (TimeoutException e) {
                        // the handled id is remembered: a redelivery is acked without running the handler again
                        LOG.infof("ack of %s/%d not confirmed within %s", d.stream(), d.seq(), options.ackTimeout());
                    }
                }
                case Settlement.Nak n -> msg.nakWithDelay(n.delay());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.infof("settling %s/%d failed (it will be redelivered): %s", d.stream(), d.seq(), e.toString());
        } finally {
            settling.readLock().unlock();
        }
    }

    /**
     * Simulates (or follows) a crash: from now on nothing is acked or nak'ed; returns once no settlement is half
     * done, so what the server has confirmed is exactly what completed.
     */
    void crash() {
        settling.writeLock().lock();
        try {
            crashed = true;
        } finally {
            settling.writeLock().unlock();
        }
    }

    // ---- requests on {co}.ask.{self} -----------------------------------------------------------------------

    /**
     * A forged ask is refused to its caller and kept: nothing stored it, so its dead letter is filed here, off the
     * dispatcher's thread.
     */
    private void keepForgedAsk(Message msg, Step.Malformed m) {
        JsonNode id = m.raw() != null ? m.raw().get("id") : null;
        String key = id != null && id.isTextual() && Subjects.SAFE_TOKEN.matcher(id.textValue()).matches()
                ? id.textValue()
                : Ids.next();
        workers.execute(() -> {
            try {
                DeadLetter dl = deadLetters.publishUnstored("ask", key, msg.getSubject(), msg.getHeaders(),
                        msg.getData() == null ? new byte[0] : msg.getData(), m.error().code(), m.error().getMessage());
                if (!dl.duplicate()) {
                    metrics.deadLettered();
                    listener.onDeadLettered(dl);
                }
            } catch (RuntimeException e) {
                LOG.warnf("forged ask on %s refused but not dead-lettered: %s", msg.getSubject(), e.toString());
            }
        });
    }

    /** Answers one request; returns at once. */
    void onRequest(Message msg) {
        metrics.received("ask");
        String replyTo = msg.getReplyTo();
        try {
            // decoded and guarded on the dispatcher's thread: a request's guards never wait on the network (no
            // handled record, no approval), and one hop less to the brain shows in the ask's p99
            Uni.createFrom().item(() -> inspect(msg.getData(), msg.getSubject(), "ask", null, null, 1, false))
                    .chain(step -> switch (step) {
                        case Step.Malformed m -> {
                            if (m.error().code() == ErrorCode.ENVELOPE_FORGED_SENDER) {
                                keepForgedAsk(msg, m);
                            }
                            yield Uni.createFrom().<byte[]>failure(m.error());
                        }
                        case Step.Report r -> Uni.createFrom().<byte[]>failure(
                                new OrgmeshException(r.code(), r.reason()));
                        case Step.Skip s -> Uni.createFrom().<byte[]>failure(
                                new OrgmeshException(ErrorCode.AGENT_LOOP_DETECTED, s.why()));
                        case Step.Work w -> answer(w.in());
                        case Step.Hold h -> Uni.createFrom().<byte[]>failure(new OrgmeshException(
                                ErrorCode.APPROVAL_REQUIRED, "ask " + h.in().id() + " from " + h.in().from()
                                        + " matches approval gate '" + h.gate().gate().id() + "'; an ask cannot wait"
                                        + " for a human: send it as a DM or task, which the gate holds"));
                        case Step.Defer x -> answer(x.in()); // requests are never redelivered
                    })
                    .subscribe().with(body -> {
                        if (replyTo != null && !crashed) {
                            try {
                                connection.publish(replyTo, outgoing.apply(body));
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
        Throwable cause = unwrap(t);
        OrgmeshException e = cause instanceof OrgmeshException oe
                ? oe
                : new OrgmeshException(ErrorCode.AGENT_HANDLER_FAILED, String.valueOf(cause.getMessage()), cause);
        LOG.infof("%s answering a request with an error: %s", e.code().label(), e.getMessage());
        if (!crashed) {
            try {
                Replies.error(connection, replyTo, e);
            } catch (IllegalStateException closed) {
                LOG.debugf("error answer not sent, the connection is closed: %s", closed.getMessage());
            }
        }
    }

    private Uni<byte[]> answer(Envelope in) {
        HandlerContext ctx = new HandlerContext(soul.agent(), soul.org(), "ask", 1, options.clock(), List.of());
        String key = in.id() != null ? in.id() : Ids.next();
        long start = System.nanoTime();
        return runHandler(in, ctx).map(outcome -> {
            metrics.handled(System.nanoTime() - start, kind(outcome));
            listener.onHandled(in, "ask", outcome);
            // what else the answer causes is sent, not awaited: the requester is waiting on a short timeout
            prepare(in, key, outcome, true, null).forEach(m -> outbox.publish(m)
                    .thenRun(metrics::sent));
            return switch (outcome) {
                case Outcome.Reply r -> EnvelopeCodec.encode(outgoing(continuing(r.reply().toBuilder()
                        .to(r.reply().to() != null ? r.reply().to() : in.from())
                        .re(r.reply().re() != null ? r.reply().re() : in.id()).build(), in), null));
                case Outcome.Blocked b -> throw new OrgmeshException(ErrorCode.AGENT_BLOCKED, b.reason());
                case Outcome.Failed f -> throw new OrgmeshException(ErrorCode.AGENT_HANDLER_FAILED, f.reason());
                default -> EnvelopeCodec.encode(outgoing(in.reply(self, "answer").status("received").build(), null));
            };
        });
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private static String kind(Outcome o) {
        return switch (o) {
            case Outcome.Reply r -> "reply";
            case Outcome.Send s -> "send";
            case Outcome.Blocked b -> "blocked";
            case Outcome.Failed f -> "failed";
            case Outcome.Nothing n -> "nothing";
        };
    }

    private static String describe(Envelope in) {
        return Guards.describe(in);
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
