package dev.orgmesh.messaging.flow;

import java.time.Duration;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

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
 * <p>On demand ({@link #onDemand}), the credits are not given back by a release but granted by {@link #request}: a
 * reactive subscriber's demand (the agent's intake, a Mutiny {@code Multi} per durable) decides how many messages are
 * taken from the server, and the rest stay in the stream.
 *
 * <p>The loop runs on a virtual thread. Until the consumer can be bound (the hub is unreachable, or the consumer is
 * not applied yet) it retries with {@link Backoff}; fetch errors during an outage are retried the same way, and the
 * subscription keeps working once the hub is back.
 */
public final class PullSource implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PullSource.class);
    /** Most messages one pull of an {@link #onDemand} source asks for, however much was requested. */
    private static final int MAX_PULL = 256;
    /** Most credits an {@link #onDemand} source holds: an unbounded request is taken as this many. */
    private static final int MAX_GRANT = 1 << 20;

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
    // what the loop is doing since when: the watchdog's view (see Watchdog)
    private volatile Phase phase = Phase.BINDING;
    private volatile long phaseSince = System.nanoTime();
    private final AtomicLong pulls = new AtomicLong();
    private final AtomicLong sinkFailures = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private volatile boolean warnedStuck;
    private final AtomicLong stuck = new AtomicLong();

    /** What the loop is doing. */
    public enum Phase {
        /** looking up and subscribing to the durable */
        BINDING,
        /** every credit is held by a message the sink has not settled */
        WAITING_FOR_CREDIT,
        /** a pull request is out; waiting for messages or its end */
        PULLING,
        /** handing a message to the sink */
        HANDING_OFF,
        /** closed */
        STOPPED
    }

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
        this(name, js, jsm, stream, durable, credits, credits, maxWait, backoff, sink);
    }

    private PullSource(String name, JetStream js, JetStreamManagement jsm, String stream, String durable,
            int credits, int batch, Duration maxWait, Backoff backoff, BiConsumer<Message, Runnable> sink) {
        this.name = name;
        this.js = js;
        this.jsm = jsm;
        this.stream = stream;
        this.durable = durable;
        this.credits = new Semaphore(credits);
        this.batch = batch;
        this.maxWait = maxWait;
        this.backoff = backoff;
        this.sink = sink;
    }

    /**
     * A source that takes from the server only what {@link #request} granted: no credit to begin with, one used by
     * every message handed to {@code sink}, none given back when it is settled. A sink that throws has not taken its
     * message: its credit is granted again (and the message nak'd, as always).
     *
     * @param maxWait how long one pull waits for messages (see the main constructor)
     * @param sink receives each message on the loop thread, and must hand it off quickly
     */
    public static PullSource onDemand(String name, JetStream js, JetStreamManagement jsm, String stream,
            String durable, Duration maxWait, Backoff backoff, Consumer<Message> sink) {
        return new PullSource(name, js, jsm, stream, durable, 0, MAX_PULL, maxWait, backoff,
                (m, release) -> sink.accept(m));
    }

    /**
     * Grants {@code n} more messages to an {@link #onDemand} source (a subscriber's request); an unbounded request
     * ({@code Long.MAX_VALUE}) grants as many as the loop can ever hold. Never blocks.
     */
    public void request(long n) {
        if (n > 0) {
            credits.release((int) Math.min(n, MAX_GRANT - credits.availablePermits()));
        }
    }

    /** Starts the loop; returns at once. */
    public PullSource start() {
        loop = Thread.ofVirtual().name("pull-" + name).start(this::run);
        Watchdog.watch(this);
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
                enter(Phase.WAITING_FOR_CREDIT);
                if (!credits.tryAcquire(maxWait.toMillis(), TimeUnit.MILLISECONDS)) {
                    continue;
                }
                asked = 1;
                while (asked < batch && credits.tryAcquire()) {
                    asked++;
                }
                enter(Phase.PULLING);
                pulls.incrementAndGet();
                Iterator<Message> it = sub.iterate(asked, maxWait);
                while (it.hasNext()) {
                    Message m = it.next();
                    got++;
                    received.incrementAndGet();
                    enter(Phase.HANDING_OFF);
                    handOff(m);
                    enter(Phase.PULLING);
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
        enter(Phase.STOPPED);
        if (sub != null) {
            try {
                sub.unsubscribe();
            } catch (RuntimeException e) {
                LOG.debugf("unsubscribing %s/%s: %s", stream, durable, e.toString());
            }
        }
    }

    /**
     * Gives {@code m} to the sink. A sink that throws has not taken the message: it is nak'd (redelivered at once, to
     * this or another consumer) and its credit is returned, so it is neither lost nor held until {@code ack_wait}; the
     * failure is logged as an error, since it is a bug in the sink.
     */
    private void handOff(Message m) {
        Release release = new Release(credits);
        try {
            sink.accept(m, release);
        } catch (RuntimeException e) {
            LOG.errorf(e, "%s on %s/%s: the handler did not take a message (nak'd for redelivery): %s", name, stream,
                    durable, e.toString());
            sinkFailures.incrementAndGet();
            try {
                m.nak();
            } catch (RuntimeException nakFailed) {
                LOG.debugf("nak after a refused hand-off failed (it is redelivered after ack_wait): %s", nakFailed);
            }
            release.run();
        }
    }

    /** Messages the sink threw on (each nak'd for redelivery); not zero means a bug in the sink. */
    public long sinkFailures() {
        return sinkFailures.get();
    }

    private void enter(Phase p) {
        phase = p;
        phaseSince = System.nanoTime();
    }

    /** What the loop is doing, since when, and its counts: for health output and the watchdog's warnings. */
    public String describe() {
        return String.format("%s on %s/%s: %s for %d ms, %d pull(s), %d message(s), %d credit(s) free", name, stream,
                durable, phase, (System.nanoTime() - phaseSince) / 1_000_000, pulls.get(), received.get(),
                credits.availablePermits());
    }

    /** How often the watchdog found this loop stuck (each episode once). */
    public long stuckEpisodes() {
        return stuck.get();
    }

    /** Pull requests made so far. */
    public long pulls() {
        return pulls.get();
    }

    /**
     * Checks every live source every second and warns once when one has been stuck in a phase that should be short:
     * a pull lasting more than twice its {@code maxWait} plus 2 s, or a hand-off to the sink over 2 s. A stuck pull
     * loop holds every message of its consumer (nothing else asks the server for them), so it must not be silent.
     * Waiting for credit is not warned about: that is a busy handler, and the handler's own deadline covers it.
     */
    private static final class Watchdog {
        private static final Set<PullSource> LIVE = ConcurrentHashMap.newKeySet();
        private static volatile ScheduledExecutorService timer;

        static void watch(PullSource s) {
            LIVE.add(s);
            if (timer == null) {
                synchronized (Watchdog.class) {
                    if (timer == null) {
                        timer = Executors.newSingleThreadScheduledExecutor(
                                Thread.ofPlatform().daemon().name("pull-watchdog").factory());
                        timer.scheduleWithFixedDelay(Watchdog::check, 1, 1, TimeUnit.SECONDS);
                    }
                }
            }
        }

        private static void check() {
            long now = System.nanoTime();
            for (PullSource s : LIVE) {
                if (!s.running || s.phase == Phase.STOPPED) {
                    LIVE.remove(s);
                    continue;
                }
                long ms = (now - s.phaseSince) / 1_000_000;
                long limit = switch (s.phase) {
                    case PULLING -> 2 * s.maxWait.toMillis() + 2_000;
                    case HANDING_OFF -> 2_000;
                    default -> Long.MAX_VALUE;
                };
                if (ms > limit && !s.warnedStuck) {
                    s.warnedStuck = true;
                    s.stuck.incrementAndGet();
                    LOG.warnf("pull loop stuck, its consumer's messages wait until it moves: %s", s.describe());
                } else if (ms <= limit && s.warnedStuck) {
                    s.warnedStuck = false;
                    LOG.infof("pull loop moving again: %s", s.describe());
                }
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
        private final AtomicBoolean done = new AtomicBoolean();

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
        Watchdog.LIVE.remove(this);
        Thread t = loop;
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
