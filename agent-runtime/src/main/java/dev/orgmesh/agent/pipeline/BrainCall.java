package dev.orgmesh.agent.pipeline;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jboss.logging.Logger;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.unchecked.Unchecked;

import dev.orgmesh.agent.brain.Actions;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.HandlerContext;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.agent.brain.TransientException;
import dev.orgmesh.agent.budget.Budgets;
import dev.orgmesh.messaging.flow.OutboundMessage;
import dev.orgmesh.protocol.BudgetWire;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.envelope.Priority;
import dev.orgmesh.protocol.org.Org;

/**
 * The brain call: budget reserved at the budget desk, the handler run in one of the agent's slots under its timeout,
 * the reservation settled to what the brain reported. While a hard limit is reached a stream message waits (in
 * progress, nothing lost, the model not called) and a request is answered at once with {@code BUDGET_EXHAUSTED}; the
 * manager, the humans and the events stream are told once per limit and period.
 */
public final class BrainCall {
    private static final Logger LOG = Logger.getLogger(BrainCall.class);
    /** How often a message waiting for budget asks again: a raised limit is seen within this. */
    private static final Duration BUDGET_POLL = Duration.ofSeconds(1);
    /** In an org without budgets, how long an unreachable desk is left alone before it is asked again. */
    private static final Duration DESK_RETRY = Duration.ofSeconds(30);

    private final String self;
    private final Org org;
    private final Subjects subjects;
    private final Handler handler;
    private final Budgets budgets;
    private final Semaphore slots;
    private final Executor workers;
    private final ScheduledExecutorService timer;
    private final Duration timeout;
    private final Clock clock;
    private final Escalations escalations;
    private final Outgoing outgoing;
    private final Acting acting;
    /** Whether it was said once that spend goes uncounted (no desk, no budgets in the org). */
    private final AtomicBoolean uncountedSaid = new AtomicBoolean();
    /** In an org without budgets, when to ask an unreachable budget desk again ({@link System#nanoTime}; 0: now). */
    private volatile long deskAwayUntil;
    private final Set<String> told = ConcurrentHashMap.newKeySet();
    private volatile boolean stopped;

    /**
     * @param budgets the budget desk's client; {@code null}: nothing counted
     * @param slots how many brain calls may run at once
     * @param timeout how long one call may take before the message is given back
     * @param acting the action set the brain uses while it handles a message
     */
    public BrainCall(String self, Org org, Handler handler, Budgets budgets, Semaphore slots, Executor workers,
            ScheduledExecutorService timer, Duration timeout, Clock clock, Escalations escalations,
            Outgoing outgoing, Acting acting) {
        this.self = self;
        this.org = org;
        this.subjects = org.subjects();
        this.handler = handler;
        this.budgets = budgets;
        this.slots = slots;
        this.workers = workers;
        this.timer = timer;
        this.timeout = timeout;
        this.clock = clock;
        this.escalations = escalations;
        this.outgoing = outgoing;
        this.acting = acting;
    }

    /** A stopped (crashed) runtime's messages stop waiting for budget. */
    public void stop() {
        stopped = true;
    }

    /**
     * Reserves budget (a stream message waits for it while a hard limit is reached; a request, {@code ask} in
     * {@code ctx}, does not), runs the handler under its timeout, then settles the reservation.
     */
    Uni<Outcome> call(Envelope in, HandlerContext handling) {
        Actions acts = acting != null ? acting.open(in) : Actions.NONE;
        HandlerContext ctx = handling.withActions(acts);
        return reserveAndInvoke(in, ctx).map(o -> o.with(acts.drain()));
    }

    private Uni<Outcome> reserveAndInvoke(Envelope in, HandlerContext ctx) {
        return reserve(in, !"ask".equals(ctx.source())).chain(r -> r.none()
                // nothing reserved, nothing to settle: no hop to another thread (it showed in the ask's p99)
                ? invoke(in, ctx)
                : invoke(in, ctx).onTermination().call(() -> Uni.createFrom().voidItem()
                        .invoke(Unchecked.consumer(v -> settle(r, ctx))).runSubscriptionOn(workers)));
    }

    private Uni<Budgets.Reservation> reserve(Envelope in, boolean wait) {
        if (budgets == null || !handler.spendsBudget()) {
            return Uni.createFrom().item(Budgets.Reservation.NONE);
        }
        if (deskAwayUntil != 0 && System.nanoTime() - deskAwayUntil < 0) {
            return Uni.createFrom().item(Budgets.Reservation.NONE);
        }
        return Uni.createFrom().item(Unchecked.supplier(() -> reserveWaiting(in, wait))).runSubscriptionOn(workers);
    }

    /**
     * Asks the desk until it grants (or, for a request, once). The desk is asked, not watched: the limit, the spend
     * and other agents' reservations all decide, and only the desk sees them together.
     */
    private Budgets.Reservation reserveWaiting(Envelope in, boolean wait) throws InterruptedException {
        boolean waited = false;
        while (true) {
            Budgets.Result r;
            try {
                r = budgets.reserve(org.oversight().reserveTokens());
            } catch (IOException deskAway) {
                if (!org.oversight().hasBudgets()) {
                    // an org without budgets, run without hub-bootstrap: nothing to enforce, spend not counted
                    // (asked again after a while, so a desk that comes back counts again)
                    deskAwayUntil = System.nanoTime() + DESK_RETRY.toNanos();
                    if (uncountedSaid.compareAndSet(false, true)) {
                        LOG.warnf("%s: %s; the org sets no budget, so %s calls its model without counting its spend",
                                self, deskAway.getMessage(), self);
                    }
                    return Budgets.Reservation.NONE;
                }
                // the desk (hub-bootstrap) keeps the counters: without it the model is not called; a stream message
                // waits in progress, a request is answered at once
                if (!wait) {
                    throw new OrgmeshException(ErrorCode.BUDGET_EXHAUSTED, self + " cannot reserve budget: "
                            + deskAway.getMessage());
                }
                if (!waited) {
                    LOG.warnf("%s waits to call its model: %s", self, deskAway.getMessage());
                }
                waited = true;
                pause("the budget desk");
                continue;
            }
            if (r.ok()) {
                if (waited) {
                    LOG.infof("budget available again: %s goes on with %s", self, Guards.describe(in));
                }
                return r.granted();
            }
            exhausted(r.refused(), in);
            if (!wait) {
                throw new OrgmeshException(ErrorCode.BUDGET_EXHAUSTED, self + " cannot call its model: "
                        + r.refused().describe());
            }
            waited = true;
            pause("budget");
        }
    }

    private void pause(String what) throws InterruptedException {
        if (stopped) {
            throw new TransientException("stopping while waiting for " + what);
        }
        Thread.sleep(BUDGET_POLL);
    }

    private void settle(Budgets.Reservation r, HandlerContext ctx) {
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
        if (!told.add(x.key())) {
            return;
        }
        String text = ErrorCode.BUDGET_EXHAUSTED.label() + " BUDGET_EXHAUSTED: " + self + " stops calling its model: "
                + x.describe() + ". Messages wait in their streams, none is lost. Raise the limit to resume: orgmesh"
                + " budget ORG set " + x.kind() + " " + x.id() + " --" + (x.measure().equals("usd") ? "usd" : "tokens")
                + "-per-" + (x.period().startsWith("d") ? "day" : "month") + " N";
        LOG.warn(text);
        LinkedHashSet<String> tell = new LinkedHashSet<>();
        tell.add(escalations.ownManager());
        org.humans().forEach(h -> tell.add(h.id()));
        String base = "budget-" + self + "-" + x.key();
        for (String who : tell) {
            Envelope e = Envelope.builder().id(base + "-" + who).from(self).to(who).type("escalation")
                    .priority(Priority.HIGH).subject("Budget exhausted: " + self)
                    .context(text).re(in.id()).thread(in.threadOrId()).ts(clock.instant()).build();
            outgoing.publish(outgoing.message(e, null));
        }
        Envelope ev = Envelope.builder().id(base + "-event").from(self).type("event")
                .subject("budget.exhausted: " + self).context(text).ts(clock.instant()).build();
        outgoing.publish(new OutboundMessage(subjects.event(self, "budget.exhausted"), null,
                outgoing.scrubbed(EnvelopeCodec.encode(ev)), ev.id()));
    }

    private Uni<Outcome> invoke(Envelope in, HandlerContext ctx) {
        // where the brain is called: on the virtual thread that already carries the message (a stream message's
        // guards ran on one), or where the message arrived when the handler never blocks (waiting for a slot is then
        // brief: only calls of this same non-blocking handler hold them); else on a virtual thread of its own. Every
        // thread hop shows in the latency of a message (docs/benchmarks.md).
        boolean here = Workers.onWorker() || !handler.blocking(in);
        Uni<Outcome> call = Uni.createFrom().item(Unchecked.supplier(() -> {
            slots.acquire();
            try {
                Outcome o = handler.handle(in, ctx);
                return o != null ? o : Outcome.nothing();
            } finally {
                slots.release();
            }
        }));
        return (here ? call : call.runSubscriptionOn(workers))
                // timeouts run on this runtime's own timer, not Mutiny's global pool (which a Quarkus app in the same
                // JVM replaces and may shut down); a timeout that cannot be scheduled would leave the message hanging
                .ifNoItem().after(timeout).on(timer)
                .failWith(() -> new TransientException("handler did not finish within " + timeout));
    }
}
