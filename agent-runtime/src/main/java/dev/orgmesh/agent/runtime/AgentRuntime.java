package dev.orgmesh.agent.runtime;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueOptions;
import io.nats.client.api.PublishAck;
import io.smallrye.mutiny.Uni;

import dev.orgmesh.agent.ask.Asker;
import dev.orgmesh.agent.ask.Fallback;
import dev.orgmesh.agent.boot.AgentSoul;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.TransientException;
import dev.orgmesh.agent.budget.Budgets;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.flow.DeadLetter;
import dev.orgmesh.messaging.flow.DeadLetterMover;
import dev.orgmesh.messaging.flow.DeadLetters;
import dev.orgmesh.messaging.flow.Outbox;
import dev.orgmesh.messaging.flow.PullSource;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;

/**
 * One agent's messaging core (docs/architecture.md, "The path of a message"), as a plain class over a jnats
 * {@link Connection} (on an agent machine, to the local leaf, with the hub's JetStream domain): it binds the agent's
 * durables and its ask subject, runs every message through the {@link Pipeline}, publishes through a store-and-forward
 * {@link Outbox}, moves what the server gives up on to the dead-letter stream and tells the sender's manager, and
 * beacons presence.
 *
 * <p>The connection belongs to the caller: {@link #close()} stops the runtime gracefully and leaves the connection
 * open; {@link #kill()} stops it as a crash would (no further ack, nak or publish), for fault tests.
 */
public final class AgentRuntime implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AgentRuntime.class);

    private final Connection connection;
    private final AgentSoul soul;
    private final RuntimeOptions options;
    private final RuntimeListener listener;
    private final Subjects subjects;
    private final String self;
    private final JetStream js;
    private final JetStreamManagement jsm;
    private final AgentMetrics metrics;
    private final Workers workers = new Workers();
    private final ScheduledExecutorService timer = timer();
    private final Semaphore permits;
    private final Outbox outbox;
    private final DeadLetters deadLetters;
    private final Pipeline pipeline;
    private final Escalations escalations;
    private final DeadlineTracker deadlines;
    private final Presence presence;
    private final Asker asker;
    private final HandledRecord handled;
    private final List<PullSource> sources = new ArrayList<>();
    private volatile Dispatcher askDispatcher;
    private volatile Dispatcher fastDispatcher;
    private volatile DeadLetterMover mover;
    private volatile boolean started;
    private volatile boolean stopped;
    /** How long after a start that may follow a crash DMs are checked against the handled record (ADR 0006). */
    static final Duration RECOVERY_WINDOW = Duration.ofSeconds(30);
    /** How long a graceful stop waits for the inbox copies of DMs worked from their core copies. */
    static final Duration FAST_SETTLE = Duration.ofSeconds(2);

    /**
     * @param settings the settings the connection was made with (for the JetStream domain)
     * @param handler the brain
     * @param registry where the meters go ({@code SimpleMeterRegistry} outside Quarkus)
     */
    public AgentRuntime(Connection connection, NatsSettings settings, AgentSoul soul, Handler handler,
            RuntimeOptions options, MeterRegistry registry, RuntimeListener listener) {
        this.connection = connection;
        this.soul = soul;
        this.options = options;
        this.listener = listener != null ? listener : RuntimeListener.NONE;
        this.subjects = soul.org().subjects();
        this.self = soul.agent().id();
        try {
            this.js = connection.jetStream(NatsConnector.jetStreamOptions(settings));
            this.jsm = connection.jetStreamManagement(NatsConnector.jetStreamOptions(settings));
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.NATS_UNAVAILABLE, "JetStream unavailable: " + e.getMessage(), e);
        }
        this.metrics = new AgentMetrics(registry, self);
        this.handled = handledRecord(connection, settings, soul, options, metrics);
        this.permits = new Semaphore(options.concurrency());
        this.outbox = new Outbox(js, options.outboxCapacity(), options.publishBackoff(), options.publishTimeout());
        this.metrics.outboxPending(outbox::pending);
        this.deadLetters = new DeadLetters(js, jsm, subjects, options.publishTimeout(), self);
        this.escalations = new Escalations(soul.org(), self);
        this.deadlines = new DeadlineTracker(soul.org(), self, options.clock(), Pipeline.zoneOf(soul), timer,
                this::escalate);
        this.pipeline = new Pipeline(soul, handler, outbox, deadLetters, connection, options, metrics, this.listener,
                workers, timer, permits, deadlines, new Gatekeeper(soul.org(), soul.agent(),
                        Gatekeeper.Records.of(bucket(connection, settings, subjects.approvalsBucket()))),
                new Budgets(connection, subjects, self, options.publishTimeout()),
                new HeartbeatCheck(jsm, subjects, soul.agent(), options.clock(), Pipeline.zoneOf(soul)), handled);
        this.presence = new Presence(connection, NatsConnector.jetStreamOptions(settings), subjects, self,
                options.beaconInterval());
        this.asker = new Asker(connection, soul.org(), self);
    }

    /** A KV bucket (approvals, budgets), opened on first use: most messages never need it. */
    private static Supplier<KeyValue> bucket(Connection c, NatsSettings settings,
            String name) {
        return new Supplier<>() {
            private volatile KeyValue kv;

            @Override
            public KeyValue get() {
                if (kv == null) {
                    try {
                        kv = c.keyValue(name, KeyValueOptions.builder()
                                .jetStreamOptions(NatsConnector.jetStreamOptions(settings)).build());
                    } catch (IOException e) {
                        throw new TransientException(
                                name + " bucket unavailable: " + e.getMessage());
                    }
                }
                return kv;
            }
        };
    }

    /**
     * The company's handled record, opened on first use; every read and write waits at most {@code publishTimeout}
     * (it is on the path of every message, and the runtime goes on without it when it does not answer).
     */
    private static HandledRecord handledRecord(Connection c, NatsSettings settings, AgentSoul soul,
            RuntimeOptions options, AgentMetrics metrics) {
        String bucket = soul.org().subjects().handledBucket();
        KeyValueOptions kvo = KeyValueOptions.builder()
                .jetStreamOptions(JetStreamOptions.builder(NatsConnector.jetStreamOptions(settings))
                        .requestTimeout(options.publishTimeout()).build())
                .build();
        return new HandledRecord(bucket, soul.agent().id(), soul.agent().role(), () -> c.keyValue(bucket, kvo),
                metrics);
    }

    /** The workspace's {@code HEARTBEAT.md}: an unchecked item whose due time passed wakes the brain on a tick. */
    public AgentRuntime heartbeatChecklist(Path file) {
        pipeline.heartbeatChecklist(file);
        return this;
    }

    /**
     * Every body this agent publishes (replies, escalations, answers, events) goes through {@code filter} first; the
     * service uses it to replace known secret values, so not even a brain that echoes one can leak it.
     */
    public AgentRuntime filterOutgoing(UnaryOperator<byte[]> filter) {
        pipeline.filterOutgoing(filter);
        return this;
    }

    /**
     * Binds every source, answers asks, starts beacons and the dead-letter mover. Returns at once — with the fast lane,
     * once its running mark is read and put (each bounded by the publish timeout).
     */
    public AgentRuntime start() {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        // a runtime that died may have handled DMs from their core copies whose inbox copies it never acked: for a
        // while, those are looked up in the handled record before they reach a brain (ADR 0006) — also when this run
        // has the fast lane off and the last one had it on
        if (handled.earlierRunMayHaveCrashed()) {
            Instant until = Instant.now().plus(RECOVERY_WINDOW);
            pipeline.recover(until);
            LOG.infof("%s may not have stopped gracefully last time: its direct messages stored before %s are"
                    + " checked against the handled record first", self, until);
        }
        if (options.fastLane()) {
            handled.markRunning(options.clock().instant());
        }
        List<DeadLetterMover.Watched> watched = new ArrayList<>();
        for (Source s : Source.of(subjects, soul.agent())) {
            PullSource[] holder = new PullSource[1];
            holder[0] = new PullSource(s.name(), js, jsm, s.stream(), s.durable(), options.fetchBatch(),
                    options.fetchWait(), options.publishBackoff(), (msg, release) -> pipeline.onJetStream(s, msg,
                            ackWait(holder[0]), release));
            sources.add(holder[0].start());
            watched.add(new DeadLetterMover.Watched(s.stream(), s.durable()));
        }
        mover = DeadLetterMover.start(connection, deadLetters, watched, pipeline::lastFailure, this::deadLettered,
                workers);
        if (options.fastLane()) {
            // the core copy of every DM, as it crosses the hub; the inbox's copy settles it (ADR 0006)
            Dispatcher f = connection.createDispatcher(pipeline::onFast);
            f.subscribe(subjects.inbox(self));
            fastDispatcher = f;
        }
        Dispatcher d = connection.createDispatcher(pipeline::onRequest);
        d.subscribe(subjects.askTo(self), "ask-" + self);
        askDispatcher = d;
        timer.execute(() -> presence.beacon("up"));
        long beacon = options.beaconInterval().toMillis();
        // on a worker: a beacon or mark waits up to the request timeout while the hub is away, and the timer also
        // keeps messages in progress
        timer.scheduleAtFixedRate(() -> workers.execute(() -> {
            presence.beacon("up");
            if (options.fastLane() && !stopped) { // a stop clears the mark: a late refresh must not put it back
                handled.markRunning(options.clock().instant());
            }
        }), beacon, beacon, TimeUnit.MILLISECONDS);
        LOG.infof("agent %s of %s started: %d sources, concurrency %d", self, subjects.company(), sources.size(),
                options.concurrency());
        return this;
    }

    private static Duration ackWait(PullSource source) {
        return source.consumerConfiguration() != null ? source.consumerConfiguration().getAckWait() : null;
    }

    /** What the server gave up on is in the dead-letter stream now: tell the original sender's manager. */
    private void deadLettered(DeadLetter dl) {
        metrics.deadLettered();
        listener.onDeadLettered(dl);
        Envelope original = null;
        ObjectNode raw = null;
        try {
            raw = EnvelopeCodec.parse(dl.body(), Integer.MAX_VALUE);
            original = EnvelopeCodec.fromTree(raw);
        } catch (OrgmeshException e) {
            // an undecodable original still gets its escalation, without the envelope's fields
        }
        String to = escalations.forDeadLetterFrom(original != null ? original.from() : null);
        Envelope esc = escalations.escalation(original, raw, to, ErrorCode.DEAD_LETTERED,
                "message " + (original != null && original.id() != null ? original.id() : dl.msgId()) + " on "
                        + dl.subject() + " was dead-lettered: " + dl.reason(),
                "esc-" + dl.msgId());
        listener.onEscalated(esc);
        send(esc).whenComplete((ack, e) -> {
            if (e != null) {
                LOG.warnf("%s escalation of dead letter %s not sent: %s", ErrorCode.DEAD_LETTERED.label(),
                        dl.msgId(), e.getMessage());
            }
        });
    }

    /** Publishes an escalation the runtime made on its own (an overdue task). */
    private void escalate(Envelope esc) {
        listener.onEscalated(esc);
        outbox.publish(pipeline.message(esc, null)).whenComplete((ack, e) -> {
            if (e != null) {
                LOG.warnf("escalation %s not sent: %s", esc.id(), e.getMessage());
            } else if (!ack.isDuplicate()) {
                metrics.sent();
            }
        });
    }

    /**
     * Sends {@code e} from this agent through the outbox (store and forward): routed by its {@code to}, stored
     * once even if the hub is away for a while. The future completes when the stream has it. A task or question
     * with a deadline is tracked: if nobody answers it in time, the assignee's manager is told.
     */
    public CompletableFuture<PublishAck> send(Envelope e) {
        try {
            Envelope ready = pipeline.outgoing(e, null);
            CompletableFuture<PublishAck> f = outbox.publish(pipeline.message(ready, null));
            deadlines.track(ready);
            return f.whenComplete((ack, t) -> {
                if (t == null && !ack.isDuplicate()) {
                    metrics.sent();
                }
            });
        } catch (OrgmeshException ex) {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /**
     * The runtime's timer: every message schedules its handler timeout (15 min by default), its keep-alive and, with
     * outputs, its outbox wait, and cancels them when it is done. A cancelled task leaves the queue at once: kept
     * until its time, each would hold its message for up to 15 minutes (hundreds of thousands of them at a thousand
     * messages a second).
     */
    static ScheduledExecutorService timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1,
                Thread.ofVirtual().name("agent-timer").factory());
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    /** Asks another agent, with a per-attempt timeout and a fallback (see {@link Asker}). */
    public Uni<Envelope> ask(String agent, Envelope question, Duration timeout, Fallback fallback) {
        return asker.ask(agent, question, timeout, fallback);
    }

    /** Ready once every source is bound and the ask subject is subscribed. */
    public boolean isReady() {
        return started && !stopped && askDispatcher != null && sources.stream().allMatch(PullSource::isBound)
                && connection.getStatus() == Connection.Status.CONNECTED;
    }

    /** Each source and whether it is bound, for readiness detail. */
    public Map<String, Boolean> sourceStatus() {
        Map<String, Boolean> m = new LinkedHashMap<>();
        sources.forEach(s -> m.put(s.name(), s.isBound()));
        return m;
    }

    /** Tasks this agent sent with a deadline that nobody has answered yet. */
    public int openDeadlines() {
        return deadlines.openCount();
    }

    /** Outgoing messages not yet stored. */
    public int outboxPending() {
        return outbox.pending();
    }

    /** This agent's id. */
    public String agentId() {
        return self;
    }

    /**
     * Stops as a crash would: no ack, nak, publish or beacon leaves this runtime after this returns, and messages
     * being worked are left for the server to redeliver after their {@code ack_wait}. The caller then closes the
     * connection.
     */
    public void kill() {
        stopped = true;
        pipeline.crash();
        closeDispatcher(fastDispatcher);
        deadlines.close();
        timer.shutdownNow();
        sources.forEach(PullSource::close);
        closeQuietly(mover);
        outbox.close();
        workers.stop(true);
        LOG.infof("agent %s killed", self);
    }

    /**
     * Stops gracefully: no new messages are taken, messages being worked get up to {@code grace} to finish, the
     * outbox gets what is left of it to store what they sent, a last beacon says {@code stopping}.
     */
    public void close(Duration grace) {
        if (stopped) {
            return;
        }
        stopped = true;
        long deadline = System.nanoTime() + grace.toNanos();
        closeDispatcher(fastDispatcher);
        try {
            // the inbox copies of DMs taken from their core copies are usually a moment behind: they settle them. One
            // that does not come in time (or at all: its store was refused) keeps the running mark, and the next start
            // checks such DMs against the handled record
            long fastDeadline = Math.min(deadline, System.nanoTime() + FAST_SETTLE.toNanos());
            while (pipeline.fastPending() > 0 && System.nanoTime() < fastDeadline) {
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean drained = pipeline.fastPending() == 0;
        sources.forEach(PullSource::close);
        if (askDispatcher != null) {
            connection.closeDispatcher(askDispatcher);
        }
        try {
            if (permits.tryAcquire(options.concurrency(), Math.max(0, deadline - System.nanoTime()),
                    TimeUnit.NANOSECONDS)) {
                permits.release(options.concurrency());
            }
            while (pipeline.inFlight() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            while (outbox.pending() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        presence.beacon("stopping");
        if (drained && pipeline.inFlight() == 0) {
            handled.clearRunning();
        }
        deadlines.close();
        closeQuietly(mover);
        timer.shutdownNow();
        outbox.close();
        workers.stop(false);
        LOG.infof("agent %s stopped", self);
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    private void closeDispatcher(Dispatcher d) {
        if (d != null) {
            try {
                connection.closeDispatcher(d);
            } catch (RuntimeException e) {
                LOG.debugf("closing a dispatcher: %s", e.toString());
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debugf("closing %s: %s", c, e.toString());
            }
        }
    }
}
