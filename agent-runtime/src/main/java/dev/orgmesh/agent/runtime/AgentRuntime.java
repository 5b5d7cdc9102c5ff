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
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueOptions;
import io.nats.client.api.PublishAck;
import io.opentelemetry.api.OpenTelemetry;
import io.smallrye.mutiny.Uni;

import dev.orgmesh.agent.ask.Asker;
import dev.orgmesh.agent.ask.Fallback;
import dev.orgmesh.agent.boot.AgentSoul;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.TransientException;
import dev.orgmesh.agent.budget.Budgets;
import dev.orgmesh.agent.pipeline.Acting;
import dev.orgmesh.agent.pipeline.AgentMetrics;
import dev.orgmesh.agent.pipeline.AskLane;
import dev.orgmesh.agent.pipeline.BrainCall;
import dev.orgmesh.agent.pipeline.DeadlineTracker;
import dev.orgmesh.agent.pipeline.Diversions;
import dev.orgmesh.agent.pipeline.EscalationStore;
import dev.orgmesh.agent.pipeline.Escalations;
import dev.orgmesh.agent.pipeline.Gatekeeper;
import dev.orgmesh.agent.pipeline.Guards;
import dev.orgmesh.agent.pipeline.HandledRecord;
import dev.orgmesh.agent.pipeline.HeartbeatCheck;
import dev.orgmesh.agent.pipeline.Intake;
import dev.orgmesh.agent.pipeline.LoopGuards;
import dev.orgmesh.agent.pipeline.Outgoing;
import dev.orgmesh.agent.pipeline.RecentIds;
import dev.orgmesh.agent.pipeline.RuntimeListener;
import dev.orgmesh.agent.pipeline.Settlements;
import dev.orgmesh.agent.pipeline.StreamLane;
import dev.orgmesh.agent.pipeline.Tracing;
import dev.orgmesh.agent.pipeline.Workers;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.flow.DeadLetters;
import dev.orgmesh.messaging.flow.Outbox;
import dev.orgmesh.messaging.flow.OutboxJournal;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.org.EscalationPolicy;
import dev.orgmesh.protocol.org.Router;

/**
 * One agent's messaging core (docs/architecture.md, "The path of a message"), as a plain class over a jnats
 * {@link Connection} (on an agent machine, to the local leaf, with the hub's JetStream domain): it binds the agent's
 * durables and its ask subject, runs every message through the stages of its pipeline ({@link Intake} and
 * {@link AskLane}, then guards, brain, outgoing, settle), publishes through a store-and-forward {@link Outbox} (with its
 * journal on disk when {@link RuntimeOptions#outboxJournal()} names one), dead-letters
 * a message whose last delivery failed and tells its sender's manager, and beacons presence.
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
    private final ScheduledExecutorService timer = Workers.timer();
    private final Semaphore permits;
    private final Outbox outbox;
    private final DeadLetters deadLetters;
    private final Escalations escalations;
    private final Outgoing outgoing;
    private final BrainCall brain;
    private final Settlements settlements;
    private final Intake intake;
    private final AskLane askLane;
    private final HeartbeatCheck heartbeats;
    private final DeadlineTracker deadlines;
    private final Presence presence;
    private final Asker asker;
    private final Acting acting;
    private final HandledRecord handled;
    private final List<StreamLane> sources = new ArrayList<>();
    private volatile Dispatcher askDispatcher;
    private volatile Dispatcher fastDispatcher;
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
        this(connection, settings, soul, handler, options, registry, listener, OpenTelemetry.noop());
    }

    /**
     * As {@link #AgentRuntime(Connection, NatsSettings, AgentSoul, Handler, RuntimeOptions, MeterRegistry,
     * RuntimeListener)}, with spans for every message it handles recorded by {@code otel} (see {@link Tracing}).
     */
    public AgentRuntime(Connection connection, NatsSettings settings, AgentSoul soul, Handler handler,
            RuntimeOptions options, MeterRegistry registry, RuntimeListener listener, OpenTelemetry otel) {
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
        // with a journal, what a killed run accepted and did not store is queued first, before anything new
        this.outbox = new Outbox(js, options.outboxCapacity(), options.publishBackoff(), options.publishTimeout(),
                options.outboxJournal() != null ? OutboxJournal.open(options.outboxJournal()) : null);
        this.metrics.outboxPending(outbox::pending);
        this.deadLetters = new DeadLetters(js, jsm, subjects, options.publishTimeout(), self);
        // the stages of the pipeline, in the order a message meets them (docs/architecture.md); each is handed what it
        // uses and none calls back into the runtime
        this.escalations = new Escalations(soul.org(), self);
        this.outgoing = new Outgoing(self, new Router(soul.org()), escalations, outbox, options.clock(),
                options.outboxWait(), timer, metrics, this.listener);
        EscalationPolicy policy = soul.org().oversight().escalation();
        this.deadlines = new DeadlineTracker(soul.org(), self, escalations, options.clock(), soul.zone(), timer,
                workers, outgoing, escalationStore(connection, settings, soul, options), policy.stepTimeout(),
                options.outboxWait());
        this.heartbeats = new HeartbeatCheck(jsm, subjects, soul.agent(), options.clock(), soul.zone());
        RecentIds recent = new RecentIds(options.recentIds());
        Guards guards = Guards.standard(self, subjects, recent, handled, deadlines, heartbeats,
                new Gatekeeper(soul.org(), soul.agent(),
                        Gatekeeper.Records.of(bucket(connection, settings, subjects.approvalsBucket()))),
                new LoopGuards(self, options.maxChainRepeats(), options.pairRateLimit(), options.clock()),
                options.maxHops(), policy.lateTasks(), options.clock(), soul.zone(), metrics, this.listener);
        this.asker = new Asker(connection, soul.org(), self);
        this.acting = new Acting(soul.agent(), soul.org(), asker, escalations, outgoing, options.clock());
        this.brain = new BrainCall(self, soul.org(), handler, new Budgets(connection, subjects, self,
                options.publishTimeout()), permits, workers, timer, options.handlerTimeout(), options.clock(),
                escalations, outgoing, acting);
        this.settlements = new Settlements(options.nakBackoff(), options.ackTimeout(), this.listener);
        Diversions diversions = new Diversions(self, soul.org(), deadLetters, escalations, outgoing, workers, metrics,
                this.listener);
        Tracing tracing = new Tracing(otel);
        this.intake = new Intake(soul, tracing, guards, brain, outgoing, diversions, settlements, deadlines, recent,
                handled,
                options.fastLane(), options.concurrency(), options.recentIds(), workers, timer, options.clock(),
                metrics, this.listener);
        this.askLane = new AskLane(soul, tracing, connection, guards, brain, outgoing, diversions, settlements,
                deadlines,
                options.clock(), metrics, this.listener);
        this.presence = new Presence(connection, NatsConnector.jetStreamOptions(settings), subjects, self,
                options.beaconInterval());
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

    /**
     * This agent's keys of the company's escalations bucket, opened on first use; every call waits at most
     * {@code publishTimeout}.
     */
    private static EscalationStore escalationStore(Connection c, NatsSettings settings, AgentSoul soul,
            RuntimeOptions options) {
        String bucket = soul.org().subjects().escalationsBucket();
        KeyValueOptions kvo = KeyValueOptions.builder()
                .jetStreamOptions(JetStreamOptions.builder(NatsConnector.jetStreamOptions(settings))
                        .requestTimeout(options.publishTimeout()).build())
                .build();
        return new EscalationStore(soul.agent().id(), () -> c.keyValue(bucket, kvo));
    }

    /** The workspace's {@code HEARTBEAT.md}: an unchecked item whose due time passed wakes the brain on a tick. */
    public AgentRuntime heartbeatChecklist(Path file) {
        heartbeats.checklist(file);
        return this;
    }

    /**
     * Every body this agent publishes (replies, escalations, answers, events) goes through {@code filter} first; the
     * service uses it to replace known secret values, so not even a brain that echoes one can leak it.
     */
    public AgentRuntime filterOutgoing(UnaryOperator<byte[]> filter) {
        outgoing.filter(filter);
        return this;
    }

    /**
     * Binds every source, answers asks, starts beacons. Returns at once — with the fast lane,
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
            intake.recover(until);
            LOG.infof("%s may not have stopped gracefully last time: its direct messages stored before %s are"
                    + " checked against the handled record first", self, until);
        }
        if (options.fastLane()) {
            handled.markRunning(options.clock().instant());
        }
        // the open deadlines and escalations an earlier runtime of this agent left: their timers run again
        deadlines.resume();
        for (Source s : Source.of(subjects, soul.agent())) {
            // a Multi per durable: at most fetchBatch of its messages taken from the server and not yet settled
            sources.add(new StreamLane(s.name(), js, jsm, s.stream(), s.durable(), options.fetchBatch(),
                    options.fetchWait(), options.publishBackoff(), intake).start());
        }
        if (options.fastLane()) {
            // the core copy of every DM, as it crosses the hub; the inbox's copy settles it (ADR 0006)
            Dispatcher f = connection.createDispatcher(intake::onFast);
            f.subscribe(subjects.inbox(self));
            fastDispatcher = f;
        }
        Dispatcher d = connection.createDispatcher(askLane::onRequest);
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

    /**
     * Sends {@code e} from this agent through the outbox (store and forward): routed by its {@code to}, stored
     * once even if the hub is away for a while. The future completes when the stream has it. A task or question
     * with a deadline is tracked: if nobody answers it in time, the assignee's manager is told.
     */
    public CompletableFuture<PublishAck> send(Envelope e) {
        try {
            Envelope ready = outgoing.own(e, null);
            CompletableFuture<PublishAck> f = outgoing.publish(outgoing.message(ready, null));
            deadlines.track(ready);
            return f;
        } catch (OrgmeshException ex) {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /**
     * What the brain's {@code secret} and {@code artifact} actions use: the agent's secrets (fetched from the vault
     * bridge) and its workspace. Without them those actions are refused.
     */
    public AgentRuntime actionTools(Supplier<Map<String, String>> secrets, Path workspace) {
        acting.secrets(secrets);
        acting.workspace(workspace);
        return this;
    }

    /** Asks another agent, with a per-attempt timeout and a fallback (see {@link Asker}). */
    public Uni<Envelope> ask(String agent, Envelope question, Duration timeout, Fallback fallback) {
        return asker.ask(agent, question, timeout, fallback);
    }

    /** Ready once every source is bound and the ask subject is subscribed. */
    public boolean isReady() {
        return started && !stopped && askDispatcher != null && sources.stream().allMatch(StreamLane::isBound)
                && connection.getStatus() == Connection.Status.CONNECTED;
    }

    /** Each source and whether it is bound, for readiness detail. */
    public Map<String, Boolean> sourceStatus() {
        Map<String, Boolean> m = new LinkedHashMap<>();
        sources.forEach(s -> m.put(s.name(), s.isBound()));
        return m;
    }

    /** Tasks this agent sent with a deadline, and escalations it started, that nobody has answered yet. */
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
        brain.stop();
        settlements.crash();
        closeDispatcher(fastDispatcher);
        deadlines.close();
        timer.shutdownNow();
        sources.forEach(StreamLane::close);
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
            while (intake.fastPending() > 0 && System.nanoTime() < fastDeadline) {
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean drained = intake.fastPending() == 0;
        sources.forEach(StreamLane::close);
        if (askDispatcher != null) {
            connection.closeDispatcher(askDispatcher);
        }
        try {
            if (permits.tryAcquire(options.concurrency(), Math.max(0, deadline - System.nanoTime()),
                    TimeUnit.NANOSECONDS)) {
                permits.release(options.concurrency());
            }
            while (intake.inFlight() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            while (outbox.pending() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        presence.beacon("stopping");
        if (drained && intake.inFlight() == 0) {
            handled.clearRunning();
        }
        deadlines.close();
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
