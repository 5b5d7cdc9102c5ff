package dev.orgmesh.agent.pipeline;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Who works a direct message: its core copy (the fast lane, ADR 0006) or its copy from the inbox stream. A DM
 * published to {@code {co}.dm.{agent}} reaches the agent twice — once by core NATS as soon as it crosses the hub, and
 * once from its durable after the stream stored it — and must reach the brain once. Both copies carry the sender's
 * {@code Nats-Msg-Id}, and this class, keyed by it, decides:
 * <ul>
 * <li>the first copy to arrive <b>claims</b> the id; a core copy that finds it claimed, or finds every fast slot
 * taken, is dropped — the stream's copy is the one that counts;</li>
 * <li>the stream's copy of an id the core copy claimed <b>adopts</b> the core copy's settlement (waiting for it if it
 * is still being worked): acked when it was handled, nak'ed with its delay when the handler failed, so the stream's
 * redelivery and {@code max_deliver} work exactly as without the fast lane;</li>
 * <li>a core copy that cannot be worked without its stream position (malformed, so for the dead-letter stream) is
 * <b>left</b> to the stream's copy.</li>
 * </ul>
 * Claims are kept until the stream's copy adopts them, at most {@code capacity} (oldest first out: a core copy whose
 * stream copy never comes — the stream refused it — does not stay forever).
 */
final class FastLane<S> {
    /** A claim on one id: by the core copy (its settlement to come; {@code null}: left) or by the stream's copy. */
    private record Claim<S>(boolean fast, CompletableFuture<S> result) {
    }

    private final int capacity;
    private final int slots;
    private int working;
    /** Ids whose core copy is being worked (a claim adopted by its inbox copy is gone from {@code claims}). */
    private final Set<String> inWork = new HashSet<>();
    private final Map<String, Claim<S>> claims;

    /**
     * @param slots core copies worked at once; one more is dropped (its stream copy comes anyway)
     * @param capacity claims remembered until their stream copy comes
     */
    FastLane(int slots, int capacity) {
        if (slots < 1 || capacity < 1) {
            throw new IllegalArgumentException("slots and capacity must be >= 1, got " + slots + ", " + capacity);
        }
        this.slots = slots;
        this.capacity = capacity;
        this.claims = new LinkedHashMap<>(64, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Claim<S>> eldest) {
                // a claim whose core copy is still being worked stays (at most one per fast slot over the capacity)
                return size() > FastLane.this.capacity && !inWork.contains(eldest.getKey());
            }
        };
    }

    /**
     * The core copy of {@code id} asks to be worked: a ticket when it is the first copy and a fast slot is free (the
     * caller then must {@link #done} it); {@code null}: drop the copy.
     */
    synchronized CompletableFuture<S> claimFast(String id) {
        if (claims.containsKey(id) || inWork.contains(id)) {
            return null; // a second core copy (the sender's publish retried) while the first is claimed or worked
        }
        if (working >= slots) {
            // passed over: the inbox's copy is worked, at once (it need not wait for this copy), and claims the id
            claims.put(id, new Claim<>(false, null));
            notifyAll();
            return null;
        }
        Claim<S> c = new Claim<>(true, new CompletableFuture<>());
        claims.put(id, c);
        inWork.add(id);
        working++;
        notifyAll(); // an inbox copy may be waiting for it (claimStream with a wait)
        return c.result();
    }

    /**
     * The core copy of {@code id} is finished: its stream copy (now or to come) adopts {@code settlement};
     * {@code null}: it was left, the stream's copy is worked from the start.
     */
    void done(String id, CompletableFuture<S> ticket, S settlement) {
        synchronized (this) {
            working--;
            inWork.remove(id);
            Claim<S> c = claims.get(id);
            if (settlement == null && c != null && c.result() == ticket) {
                claims.remove(id);
            }
        }
        ticket.complete(settlement);
    }

    /**
     * The stream's copy of {@code id} arrived: the settlement the core copy came to (possibly still to come; it
     * completes with {@code null} when the core copy was left), or {@code null} when no core copy claimed it — the stream's copy is then worked, and claims the id so that a late
     * core copy is dropped (until {@link #release}).
     */
    synchronized CompletableFuture<S> claimStream(String id) {
        Claim<S> c = claims.get(id);
        if (c != null && c.fast()) {
            claims.remove(id);
            return c.result();
        }
        if (c == null) {
            claims.put(id, new Claim<>(false, null));
        }
        return null;
    }

    /**
     * {@link #claimStream(String)}, after waiting up to {@code waitNanos} for the core copy to claim {@code id}: both
     * copies reach the client over one connection, the core copy first, but they are handed to two threads, and the
     * inbox's thread sometimes runs first. Only for a copy stored a moment ago (an old one has no core copy coming).
     */
    synchronized CompletableFuture<S> claimStream(String id, long waitNanos) {
        long deadline = System.nanoTime() + waitNanos;
        try {
            for (long left = waitNanos; !claims.containsKey(id) && left > 0; left = deadline - System.nanoTime()) {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return claimStream(id);
    }

    /** The stream's copy of {@code id} is settled. */
    synchronized void release(String id) {
        Claim<S> c = claims.get(id);
        if (c != null && !c.fast()) {
            claims.remove(id);
        }
    }

    /** Core copies claimed and not yet adopted by their inbox copy. */
    synchronized int pending() {
        return (int) claims.values().stream().filter(Claim::fast).count();
    }

    /** Core copies being worked. */
    synchronized int working() {
        return working;
    }

    /** Ids claimed and not yet adopted or released. */
    synchronized int claimed() {
        return claims.size();
    }
}
