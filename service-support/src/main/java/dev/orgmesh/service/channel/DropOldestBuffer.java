package dev.orgmesh.service.channel;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.jboss.logging.Logger;

/**
 * A bounded buffer between a producer that must never wait (a NATS dispatcher thread) and one subscriber that may be
 * slow. {@link #offer} never blocks: when the buffer is full the oldest item is dropped and counted. Items reach the
 * subscriber, in order and only as it requests them, on a virtual thread of the buffer's own, so a slow consumer
 * holds up neither the producer nor anything else on the producer's thread.
 *
 * <p>One subscriber only (a channel has one consumer); a second is refused with {@code onError}. A failure is
 * signalled at once, without draining what is still buffered: the buffer serves live feeds, whose consumers lose
 * nothing they could act on.
 *
 * @param <T> the items
 */
public final class DropOldestBuffer<T> implements Flow.Publisher<T> {
    private static final Logger LOG = Logger.getLogger(DropOldestBuffer.class);

    private final String name;
    private final int capacity;
    private final Runnable onCancel;
    private final ArrayDeque<T> queue;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private Flow.Subscriber<? super T> subscriber;
    private long requested;
    private boolean cancelled;
    private Throwable failure;
    private long dropped;
    private long delivered;

    /**
     * @param name the name of the delivery thread ({@code orgmesh-channel-<name>})
     * @param capacity how many items wait for the subscriber at most; at least 1
     * @param onCancel run once when the subscriber cancels (to stop the producer)
     */
    public DropOldestBuffer(String name, int capacity, Runnable onCancel) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a buffer holds at least one item, not " + capacity);
        }
        this.name = name;
        this.capacity = capacity;
        this.onCancel = onCancel;
        this.queue = new ArrayDeque<>(Math.min(capacity, 1024));
    }

    /**
     * Adds {@code item} for the subscriber; never blocks. Returns {@code false} when the buffer was full and its
     * oldest item was dropped to make room (counted in {@link #dropped()}). Ignored once cancelled or failed.
     */
    public boolean offer(T item) {
        Objects.requireNonNull(item, "item");
        lock.lock();
        try {
            if (cancelled || failure != null) {
                return true;
            }
            boolean kept = true;
            if (queue.size() == capacity) {
                queue.pollFirst();
                dropped++;
                kept = false;
            }
            queue.addLast(item);
            ready.signal();
            return kept;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the stream with {@code error}: the subscriber hears it at once and what is still buffered is dropped. */
    public void fail(Throwable error) {
        lock.lock();
        try {
            if (failure == null) {
                failure = error;
                ready.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void subscribe(Flow.Subscriber<? super T> s) {
        Objects.requireNonNull(s, "subscriber");
        lock.lock();
        try {
            if (subscriber != null) {
                s.onSubscribe(new Refused());
                s.onError(new IllegalStateException("the buffer " + name + " has a subscriber already"));
                return;
            }
            subscriber = s;
        } finally {
            lock.unlock();
        }
        s.onSubscribe(new Demand());
        Thread.ofVirtual().name("orgmesh-channel-" + name).start(this::deliver);
    }

    /** Items dropped, oldest first, because the buffer was full. */
    public long dropped() {
        lock.lock();
        try {
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    /** Items handed to the subscriber so far. */
    public long delivered() {
        lock.lock();
        try {
            return delivered;
        } finally {
            lock.unlock();
        }
    }

    /** Items waiting for the subscriber's demand. */
    public int buffered() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** The subscriber's thread: waits for an item and demand, hands the item on, outside the lock. */
    private void deliver() {
        Flow.Subscriber<? super T> s = subscriber;
        while (true) {
            T item;
            Throwable error;
            lock.lock();
            try {
                while (!cancelled && failure == null && (queue.isEmpty() || requested == 0)) {
                    ready.await();
                }
                if (cancelled) {
                    return;
                }
                error = failure;
                if (error != null) {
                    cancelled = true;
                    queue.clear();
                    item = null;
                } else {
                    item = queue.pollFirst();
                    if (requested != Long.MAX_VALUE) {
                        requested--;
                    }
                    delivered++;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                lock.unlock();
            }
            if (error != null) {
                s.onError(error);
                return;
            }
            try {
                s.onNext(item);
            } catch (RuntimeException e) {
                // the subscriber broke its contract (onNext must not throw): stop rather than lose items silently
                LOG.errorf(e, "the subscriber of %s threw from onNext; the stream is cancelled", name);
                cancel();
                return;
            }
        }
    }

    /**
     * Stops delivering: what is buffered is dropped, the delivery thread ends, and {@code onCancel} runs once. The
     * subscriber's {@code cancel} does the same; the owner calls it at shutdown.
     */
    public void cancel() {
        lock.lock();
        try {
            if (cancelled) {
                return;
            }
            cancelled = true;
            queue.clear();
            ready.signal();
        } finally {
            lock.unlock();
        }
        onCancel.run();
    }

    /** The subscriber's demand. */
    private final class Demand implements Flow.Subscription {
        @Override
        public void request(long n) {
            if (n <= 0) {
                fail(new IllegalArgumentException("a subscriber must request a positive number, not " + n));
                return;
            }
            lock.lock();
            try {
                requested = requested + n < 0 ? Long.MAX_VALUE : requested + n;
                ready.signal();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void cancel() {
            DropOldestBuffer.this.cancel();
        }
    }

    /** The subscription a refused second subscriber gets: it does nothing. */
    private static final class Refused implements Flow.Subscription {
        @Override
        public void request(long n) {
            // refused: nothing will come
        }

        @Override
        public void cancel() {
            // refused: nothing to stop
        }
    }
}
