package dev.orgmesh.messaging.flow;

import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import org.jboss.logging.Logger;

import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;

/**
 * A pull loop bound to an existing durable consumer (it never creates one: provisioning is hub-bootstrap's job). It
 * holds at most {@code credits} messages at a time: a pull asks only for the credits that are free, and each message
 * handed to the sink holds one credit until the sink calls the release it was given (after ack, nak or term). So a
 * busy process does not hoard messages a peer on the same durable (a shared task queue) could take, and a message
 * never waits unseen in a client buffer while its {@code ack_wait} runs out.
 *
 * <p>The loop runs on a virtual thread. Until the consumer can be bound (the hub is unreachable, or the consumer is
 * not applied yet) it retries with {@link Backoff}; fetch errors during an outage are retried the same way, and the
 * subscription keeps working once the hub is back.
 */
public final class PullSource implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PullSource.class);

    private final String name;
    private final JetStream js;
    private final JetStreamManagement jsm;
    private final String stream;
    private final String durable;
    private final Semaphore credits;
    private final int batch;
    private final Duration maxWait;
    private final Backoff backoff;
    private final BiConsumer<Message, Runnable> sink;
    private volatile boolean running = true;
    private volatile ConsumerConfiguration consumer;
    private volatile Thread loop;

    /**
     * @param name for logs and metrics, e.g. {@code dm}
     * @param stream the stream holding the durable
     * @param durable the durable consumer to bind
     * @param credits most messages held at once (handed to the sink and not yet released)
     * @param maxWait how long one pull waits for messages; new messages arrive at once, so this only sets how often
     *        an idle source asks again
     * @param sink receives each message and its release on the loop thread, and must hand them off quickly
     */
    public PullSource(String name, JetStream js, JetStreamManagement jsm, String stream, String durable, int credits,
            Duration maxWait, Backoff backoff, BiConsumer<Message, Runnable> sink) {
        this.name = name;
        this.js = js;
        this.jsm = jsm;
        this.stream = stream;
        this.durable = durable;
        this.credits = new Semaphore(credits);
        this.batch = credits;
        this.maxWait = maxWait;
        this.backoff = backoff;
        this.sink = sink;
    }

    /** Starts the loop; returns at once. */
    public PullSource start() {
        loop = Thread.ofVirtual().name("pull-" + name).start(this::run);
        return this;
    }

    /** The source's name. */
    public String name() {
        return name;
    }

    /** The stream it reads. */
    public String stream() {
        return stream;
    }

    /** The durable it is bound to. */
    public String durable() {
        return durable;
    }

    /** Whether the durable is bound (consumer found and subscribed). */
    public boolean isBound() {
        return consumer != null;
    }

    /** The consumer's configuration once bound ({@code ack_wait}, {@code max_deliver}), else {@code null}. */
    public ConsumerConfiguration consumerConfiguration() {
        return consumer;
    }

    private void run() {
        JetStreamSubscription sub = bind();
        while (running && sub != null) {
            int asked = 0;
            int got = 0;
            try {
                if (!credits.tryAcquire(maxWait.toMillis(), TimeUnit.MILLISECONDS)) {
                    continue;
                }
                asked = 1;
                while (asked < batch && credits.tryAcquire()) {
                    asked++;
                }
                Iterator<Message> it = sub.iterate(asked, maxWait);
                while (it.hasNext()) {
                    Message m = it.next();
                    got++;
                    sink.accept(m, new Release(credits));
                }
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException e) {
                if (running) {
                    LOG.debugf("pull %s/%s failed: %s", stream, durable, e.toString());
                    pause(backoff.delay(3));
                }
            } finally {
                if (asked > got) {
                    credits.release(asked - got);
                }
            }
        }
        if (sub != null) {
            try {
                sub.unsubscribe();
            } catch (RuntimeException e) {
                LOG.debugf("unsubscribing %s/%s: %s", stream, durable, e.toString());
            }
        }
    }

    private JetStreamSubscription bind() {
        for (int attempt = 1; running; attempt++) {
            try {
                ConsumerInfo ci = jsm.getConsumerInfo(stream, durable);
                JetStreamSubscription sub = js.subscribe(ci.getConsumerConfiguration().getFilterSubject(),
                        PullSubscribeOptions.bind(stream, durable));
                consumer = ci.getConsumerConfiguration();
                LOG.infof("bound %s to %s/%s", name, stream, durable);
                return sub;
            } catch (Exception e) {
                if (attempt == 1 || attempt % 30 == 0) {
                    LOG.warnf("cannot bind %s to %s/%s yet (attempt %d): %s", name, stream, durable, attempt,
                            e.getMessage());
                }
                pause(backoff.delay(attempt));
            }
        }
        return null;
    }

    private void pause(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Gives one credit back, once however often it is called. */
    private static final class Release implements Runnable {
        private final Semaphore credits;
        private final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();

        Release(Semaphore credits) {
            this.credits = credits;
        }

        @Override
        public void run() {
            if (done.compareAndSet(false, true)) {
                credits.release();
            }
        }
    }

    /** Stops asking for messages; messages already handed to the sink are the sink's to settle. */
    @Override
    public void close() {
        running = false;
        Thread t = loop;
        if (t != null) {
            t.interrupt();
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
