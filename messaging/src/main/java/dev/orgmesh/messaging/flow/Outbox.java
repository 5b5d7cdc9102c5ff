package dev.orgmesh.messaging.flow;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import org.jboss.logging.Logger;

import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * Store and forward for JetStream publishes (ADR 0003). Messages wait in a bounded in-memory queue and are published
 * in order, each with its {@code Nats-Msg-Id}: up to {@link #WINDOW} first attempts are on their way at once (made on
 * the caller's thread when nothing unsent is ahead, else by the drainer as acknowledgements come back), and one drainer
 * (a virtual thread) waits for their acknowledgements in order, retrying a message with {@link Backoff} on
 * what an outage looks like from a leaf (a timeout, "no responders", a connection that is reconnecting) until the
 * stream acknowledges it. The stream's duplicate window makes a retry of a publish that was in fact stored harmless,
 * so every message is stored once as long as it is retried inside that window.
 *
 * <p>An API error (the stream refused the message: too large, wrong stream, …) is not retried: the future fails
 * with {@code PUBLISH_NOT_ACKNOWLEDGED}.
 *
 * <p>Without a journal the queue lives in memory only: a process that dies loses what it had not yet published, and
 * callers that must not lose work ack their input only after the future completes, so the input is redelivered
 * instead. With an {@link OutboxJournal}, {@link #publish} returns only once the message is forced to disk (or with
 * a future already failed), each message is marked acknowledged in the journal when its stream stores it (or refuses
 * it), and what the journal held at its opening is queued first, in order: a message accepted once is stored once
 * even if the process is killed before the hub comes back.
 */
public final class Outbox implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Outbox.class);

    private final JetStream js;
    private final Backoff backoff;
    private final Duration publishTimeout;
    private final BlockingQueue<Pending> queue;
    private final int capacity;
    private final OutboxJournal journal;
    private final Thread drainer;
    private final AtomicLong published = new AtomicLong();
    private volatile boolean closed;
    private volatile Pending inFlight;
    /** Messages whose first attempt is on its way and not yet finished by the drainer (guarded by {@code this}). */
    private int attempts;
    /** Queued messages whose first attempt has not been made (guarded by {@code this}); always behind the others. */
    private int unsent;
    /**
     * An attempt failed and is being retried (guarded by {@code this}): no first attempt is made until every attempt
     * made before the failure is finished, so nothing overtakes the retried message except what was already sent.
     */
    private boolean retrying;

    /** First attempts on their way at most: what the stream has not acknowledged yet. */
    public static final int WINDOW = 32;

    /**
     * @param js JetStream, in the hub's domain when the connection is to a leaf
     * @param capacity how many messages may wait; beyond that {@link #publish} fails at once
     * @param backoff pause between attempts of one message
     * @param publishTimeout how long one attempt waits for the stream's acknowledgement
     */
    public Outbox(JetStream js, int capacity, Backoff backoff, Duration publishTimeout) {
        this(js, capacity, backoff, publishTimeout, null);
    }

    /**
     * As {@link #Outbox(JetStream, int, Backoff, Duration)}, with every message written to {@code journal} before it
     * is accepted; what the journal recovered at its opening is queued first, in order. The outbox closes the journal
     * when it closes.
     *
     * @param journal the journal on disk, or {@code null} for memory only
     */
    public Outbox(JetStream js, int capacity, Backoff backoff, Duration publishTimeout, OutboxJournal journal) {
        this.js = js;
        this.backoff = backoff;
        this.publishTimeout = publishTimeout;
        this.capacity = capacity;
        this.journal = journal;
        this.queue = new LinkedBlockingQueue<>();
        if (journal != null) {
            // sent again in the order they were accepted, before anything new; nobody waits for them but the log
            for (OutboxJournal.Entry e : journal.recovered()) {
                Pending p = new Pending(e.message(), new CompletableFuture<>());
                p.seq = e.seq();
                p.future.whenComplete((ack, t) -> {
                    if (t != null) {
                        LOG.warnf("journaled message %s to %s not sent again: %s", e.message().msgId(),
                                e.message().subject(), t.getMessage());
                    }
                });
                queue.add(p);
                unsent++;
            }
        }
        this.drainer = Thread.ofVirtual().name("outbox").start(this::drain);
    }

    /**
     * Queues {@code m}; the future completes with the stream's acknowledgement (possibly a duplicate one) or fails
     * with an {@link OrgmeshException}: {@code PUBLISH_NOT_ACKNOWLEDGED} when the queue is full or the stream
     * refused the message, {@code NATS_UNAVAILABLE} when the outbox closed first.
     */
    public CompletableFuture<PublishAck> publish(OutboundMessage m) {
        return publish(m, true);
    }

    /**
     * As {@link #publish(OutboundMessage)}; {@code journaled} {@code false} skips the journal (and its fsync) for a
     * message whose cause keeps it safe: one produced while handling a message that is acknowledged only after this one
     * is stored, and so is redelivered and produced again (same msg-id) if the process dies first.
     */
    public CompletableFuture<PublishAck> publish(OutboundMessage m, boolean journaled) {
        Pending p = new Pending(m, new CompletableFuture<>());
        OutboxJournal journal = journaled ? this.journal : null;
        if (closed) {
            p.future.completeExceptionally(closedError());
            return p.future;
        }
        synchronized (this) {
            if (queue.size() >= capacity) {
                p.future.completeExceptionally(new OrgmeshException(ErrorCode.PUBLISH_NOT_ACKNOWLEDGED,
                        "outbox full (" + (queue.size() + 1) + " waiting); publish to " + m.subject() + " refused"));
                return p.future;
            }
            if (journal != null) {
                try {
                    p.seq = journal.append(m); // in the queue's order; forced below, outside this lock
                } catch (OrgmeshException e) {
                    p.future.completeExceptionally(e);
                    return p.future;
                }
            }
            // nothing unsent ahead of it and the window not full: its first attempt leaves now, from the caller's
            // thread, in the order of the queue (this lock), instead of after the drainer has waited for every
            // acknowledgement ahead of it; the drainer waits for its acknowledgement, in order, and retries it as usual
            if (unsent > 0 || !windowOpen() || !start(p)) {
                unsent++;
            }
            queue.add(p);
        }
        if (journal != null) {
            // one force for every message appended meanwhile (group commit). The first attempt may already be on its
            // way: a message stored before it is on disk is not lost, and the caller learns it was accepted only now
            try {
                journal.sync(p.seq);
            } catch (OrgmeshException e) {
                p.future.completeExceptionally(e); // not promised; it may still leave from memory, once (its msg-id)
            }
        }
        return p.future;
    }

    /** Whether a first attempt may start now (caller holds {@code this}). */
    private boolean windowOpen() {
        return !retrying && attempts < WINDOW;
    }

    /** Makes {@code p}'s first attempt; {@code false} when it could not leave (caller holds {@code this}). */
    private boolean start(Pending p) {
        p.first = firstAttempt(p.message);
        if (p.first == null) {
            return false;
        }
        attempts++;
        return true;
    }

    /**
     * Makes first attempts for what waits unsent, in order, while the window allows: {@code head} (just taken from
     * the queue) first, then the queue's unsent tail, stopping at the first that cannot leave.
     */
    private synchronized void topUp(Pending head) {
        if (head.first == null) {
            if (!windowOpen() || !start(head)) {
                return;
            }
            unsent--;
        }
        for (Pending q : queue) {
            if (q.first != null) {
                continue;
            }
            if (!windowOpen() || !start(q)) {
                return;
            }
            unsent--;
        }
    }

    private CompletableFuture<PublishAck> firstAttempt(OutboundMessage m) {
        try {
            return js.publishAsync(m.subject(), m.headers(), m.body(), options(m));
        } catch (RuntimeException e) {
            return null; // not connected right now: the drainer's attempts take over
        }
    }

    private PublishOptions options(OutboundMessage m) {
        return PublishOptions.builder().messageId(m.msgId()).streamTimeout(publishTimeout).build();
    }

    /** Messages not yet acknowledged by their stream, including the one being published. */
    public int pending() {
        return queue.size() + (inFlight != null ? 1 : 0);
    }

    /** Messages acknowledged since this outbox was made. */
    public long publishedCount() {
        return published.get();
    }

    private void drain() {
        while (!closed) {
            Pending p;
            try {
                p = queue.take();
            } catch (InterruptedException e) {
                break;
            }
            inFlight = p;
            topUp(p);
            try {
                send(p);
            } finally {
                inFlight = null;
                synchronized (this) {
                    if (p.first != null) {
                        attempts--;
                    } else {
                        unsent--; // published by the drainer itself: nothing could overtake it meanwhile
                    }
                    if (retrying && attempts == 0) {
                        retrying = false; // everything sent before the failure is settled: the window opens again
                    }
                }
            }
        }
        Pending left;
        while ((left = queue.poll()) != null) {
            left.future.completeExceptionally(closedError());
        }
    }

    private void send(Pending p) {
        OutboundMessage m = p.message;
        PublishOptions options = options(m);
        int first = 1;
        if (p.first != null) {
            try {
                PublishAck ack = p.first.get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
                stored(p, ack);
                return;
            } catch (ExecutionException e) {
                JetStreamApiException refused = apiError(e);
                if (refused != null) {
                    refuse(p, refused);
                    return;
                }
                holdWindow();
                retrying(m, 1, e.getCause() != null ? e.getCause() : e);
            } catch (TimeoutException e) {
                p.first.cancel(false);
                holdWindow();
                retrying(m, 1, e);
            } catch (InterruptedException e) {
                p.future.completeExceptionally(closedError());
                return;
            }
            if (!pause(p, 1)) {
                return;
            }
            first = 2;
        }
        for (int attempt = first;; attempt++) {
            if (closed) {
                p.future.completeExceptionally(closedError());
                return;
            }
            try {
                PublishAck ack = js.publish(m.subject(), m.headers(), m.body(), options);
                if (attempt > 1) {
                    LOG.infof("published %s to %s after %d attempts", m.msgId(), m.subject(), attempt);
                }
                stored(p, ack);
                return;
            } catch (JetStreamApiException e) {
                refuse(p, e);
                return;
            } catch (IOException | RuntimeException e) {
                // timeout, no responders (hub unreachable from the leaf), or the connection is reconnecting
                retrying(m, attempt, e);
                if (!pause(p, attempt)) {
                    return;
                }
            }
        }
    }

    /** The stream has {@code p}: the journal forgets it, its caller learns it. */
    private void stored(Pending p, PublishAck ack) {
        published.incrementAndGet();
        if (journal != null && p.seq >= 0) {
            journal.acknowledge(p.seq);
        }
        p.future.complete(ack);
    }

    /** An attempt failed: no new first attempt until those already made are settled (see {@link #retrying}). */
    private synchronized void holdWindow() {
        retrying = true;
    }

    private void refuse(Pending p, JetStreamApiException e) {
        if (journal != null && p.seq >= 0) {
            journal.acknowledge(p.seq); // a refusal does not change on a retry: nothing to send again after a restart
        }
        LOG.warnf("%s stream refused %s on %s: %s", ErrorCode.PUBLISH_NOT_ACKNOWLEDGED.label(), p.message.msgId(),
                p.message.subject(), e.getMessage());
        p.future.completeExceptionally(new OrgmeshException(ErrorCode.PUBLISH_NOT_ACKNOWLEDGED,
                "stream refused the message on " + p.message.subject() + ": " + e.getMessage(), e));
    }

    private void retrying(OutboundMessage m, int attempt, Throwable e) {
        if (attempt == 1 || attempt % 20 == 0) {
            LOG.infof("%s publish of %s to %s not acknowledged (attempt %d: %s); retrying in %d ms",
                    ErrorCode.PUBLISH_NOT_ACKNOWLEDGED.label(), m.msgId(), m.subject(), attempt, e.getMessage(),
                    backoff.delay(attempt).toMillis());
        }
    }

    /** Waits before the next attempt; {@code false} when the outbox is closing (the message's future failed). */
    private boolean pause(Pending p, int attempt) {
        try {
            Thread.sleep(backoff.delay(attempt));
            return true;
        } catch (InterruptedException ie) {
            p.future.completeExceptionally(closedError());
            return false;
        }
    }

    /** The stream's refusal inside an asynchronous attempt's failure, if that is what it was. */
    private static JetStreamApiException apiError(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof JetStreamApiException api) {
                return api;
            }
        }
        return null;
    }

    private OrgmeshException closedError() {
        return new OrgmeshException(ErrorCode.NATS_UNAVAILABLE, "outbox closed before the message was published"
                + (journal != null ? " (kept in the journal in " + journal.dir() + ", sent on the next start)" : ""));
    }

    /** Stops publishing; every message not yet acknowledged fails with {@code NATS_UNAVAILABLE}. */
    @Override
    public void close() {
        closed = true;
        drainer.interrupt();
        try {
            drainer.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Pending p = inFlight;
        if (p != null) {
            p.future.completeExceptionally(closedError());
        }
        if (journal != null) {
            journal.close();
        }
    }

    /** A message, its caller's future, and the first attempt when the caller's thread started it. */
    private static final class Pending {
        final OutboundMessage message;
        final CompletableFuture<PublishAck> future;
        CompletableFuture<PublishAck> first;
        /** Its sequence in the journal, when there is one. */
        long seq = -1;

        Pending(OutboundMessage message, CompletableFuture<PublishAck> future) {
            this.message = message;
            this.future = future;
        }
    }
}
