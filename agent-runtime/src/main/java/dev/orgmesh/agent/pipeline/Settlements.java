package dev.orgmesh.agent.pipeline;

import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.jboss.logging.Logger;

import io.nats.client.Message;

import dev.orgmesh.agent.brain.PermanentException;
import dev.orgmesh.agent.brain.TransientException;
import dev.orgmesh.messaging.flow.Backoff;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * Settles stream messages as the stages decided: an ack confirmed by the server, a nak with the delay a failure asks
 * for (a {@link TransientException}'s own, else the backoff for this delivery), or — a failure on the message's last
 * delivery — a give-up, which {@link Diversions#giveUp} turns into a dead letter and a terminate. It stops every
 * settlement at once when the runtime crashes (or a fault test makes it crash), so what the server has confirmed is
 * exactly what completed.
 */
public final class Settlements {
    private static final Logger LOG = Logger.getLogger(Settlements.class);

    private final Backoff nakBackoff;
    private final Duration ackTimeout;
    private final RuntimeListener listener;
    /** Settlements hold the read lock; a crash takes the write lock so none is half done. */
    private final ReadWriteLock settling = new ReentrantReadWriteLock();
    private volatile boolean crashed;

    public Settlements(Backoff nakBackoff, Duration ackTimeout, RuntimeListener listener) {
        this.nakBackoff = nakBackoff;
        this.ackTimeout = ackTimeout;
        this.listener = listener;
    }

    /** Whether the runtime crashed: nothing may leave it any more. */
    boolean crashed() {
        return crashed;
    }

    /** The settlement for a failed attempt: redelivery later, or, on the last delivery, giving up with the reason. */
    Settlement failed(Delivery d, Throwable t) {
        Throwable cause = unwrap(t);
        Duration delay = nakBackoff.delay((int) Math.max(1, d.delivery()));
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
        if (cause instanceof PermanentException) {
            LOG.warnf("%s from %s failed for good on delivery %d, dead-lettered: %s", d.where(), d.source(),
                    d.delivery(), reason);
            return new Settlement.GiveUp(reason + "; retrying cannot fix it");
        }
        if (d.last()) {
            LOG.warnf("%s from %s failed on its last delivery (%d of max_deliver %d), dead-lettered: %s", d.where(),
                    d.source(), d.delivery(), d.maxDeliver(), reason);
            return new Settlement.GiveUp(reason + "; delivered " + d.delivery() + " times, max_deliver "
                    + d.maxDeliver());
        }
        LOG.warnf("%s from %s, delivery %d, will be redelivered in %d ms: %s", d.where(), d.source(), d.delivery(),
                delay.toMillis(), reason);
        return new Settlement.Nak(delay, reason);
    }

    /** Acks, naks or terminates {@code msg}; nothing once crashed. */
    void settle(Delivery d, Message msg, Settlement s) {
        settling.readLock().lock();
        try {
            if (crashed) {
                return;
            }
            switch (s) {
                case Settlement.Ack a -> {
                    try {
                        msg.ackSync(ackTimeout);
                        if (a.in() != null && "handled".equals(a.why())) {
                            listener.onCompleted(a.in(), d.source());
                        }
                    } catch (TimeoutException e) {
                        // the handled id is remembered: a redelivery is acked without running the handler again
                        LOG.infof("ack of %s/%d not confirmed within %s", d.stream(), d.seq(), ackTimeout);
                    }
                }
                case Settlement.Nak n -> msg.nakWithDelay(n.delay());
                case Settlement.Term t -> msg.term();
                case Settlement.GiveUp g -> msg.nak(); // not dead-lettered: the server's advisory is left to the hub
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
     * done.
     */
    public void crash() {
        settling.writeLock().lock();
        try {
            crashed = true;
        } finally {
            settling.writeLock().unlock();
        }
    }

    static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
