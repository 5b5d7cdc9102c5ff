package dev.orgmesh.heartbeat;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueOptions;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.impl.NatsKeyValueWatchSubscription;
import io.opentelemetry.api.OpenTelemetry;

import dev.orgmesh.heartbeat.liveness.LivenessNotifier;
import dev.orgmesh.heartbeat.liveness.LivenessTracker;
import dev.orgmesh.heartbeat.schedule.HeartbeatScheduler;
import dev.orgmesh.heartbeat.schedule.JetStreamTickSink;
import dev.orgmesh.heartbeat.schedule.Tick;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Presence;
import dev.orgmesh.protocol.Presence.Liveness;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Org;

/**
 * The heartbeat service's one loop: it sleeps until the earliest due slot (not a one-second polling trigger, which
 * could not keep ticks within 250 ms of their slot), publishes due ticks, takes org changes and presence beacons
 * handed to it by watchers, and checks liveness every {@code checkInterval}. Everything that touches the scheduler
 * and the tracker runs on this loop, so neither needs locking.
 */
public final class HeartbeatEngine implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HeartbeatEngine.class);
    /** How long before a slot its ticks are prepared (encoded): 100,000 agents take well under this. */
    static final Duration PREPARE_LEAD = Duration.ofSeconds(1);

    private final Connection connection;
    private final NatsSettings settings;
    private final InstantSource clock;
    private final Duration checkInterval;
    private final String from;
    private final AtomicReference<Org> pendingOrg = new AtomicReference<>();
    private final Queue<Presence> beacons = new ConcurrentLinkedQueue<>();
    private final LivenessTracker tracker = new LivenessTracker();
    private volatile Thread loop;
    private volatile boolean running;
    private Org org;
    private HeartbeatScheduler scheduler;
    private LivenessNotifier notifier;
    private NatsKeyValueWatchSubscription presenceWatch;
    private volatile HeartbeatMetrics metrics = HeartbeatMetrics.NONE;
    private volatile OpenTelemetry otel = OpenTelemetry.noop();

    /**
     * @param from the sender id on ticks and liveness messages (e.g. {@code heartbeat})
     * @param checkInterval how often liveness is checked; detection takes at most three beacon intervals plus this
     */
    public HeartbeatEngine(Connection connection, NatsSettings settings, InstantSource clock, Duration checkInterval,
            String from) {
        this.connection = connection;
        this.settings = settings;
        this.clock = clock;
        this.checkInterval = checkInterval;
        this.from = from;
    }

    /** Counts ticks, lateness and missed slots in {@code m}; call before {@link #start()}. */
    public HeartbeatEngine metrics(HeartbeatMetrics m) {
        this.metrics = m;
        return this;
    }

    /**
     * Records a span per published tick in {@code o} ({@code orgmesh.heartbeat.tick}, {@link JetStreamTickSink});
     * call before {@link #start()}. Without it (or with the SDK off) ticks still carry a derived {@code traceparent}.
     */
    public HeartbeatEngine tracing(OpenTelemetry o) {
        this.otel = o;
        return this;
    }

    /** Starts the loop. */
    public synchronized void start() {
        if (loop != null) {
            return;
        }
        running = true;
        loop = Thread.ofPlatform().name("heartbeat-loop").daemon().start(this::run);
    }

    /** Hands over a new org (at start, or when the stored org changes); the loop takes it at once. */
    public void setOrg(Org next) {
        pendingOrg.set(next);
        wake();
    }

    /** The liveness tracker's view of one agent. */
    public Liveness state(String agent) {
        return tracker.state(agent);
    }

    private void wake() {
        Thread t = loop;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    private void run() {
        Instant nextCheck = clock.instant();
        while (running) {
            try {
                Org next = pendingOrg.getAndSet(null);
                if (next != null) {
                    takeOrg(next);
                }
                Instant now = clock.instant();
                if (scheduler != null) {
                    List<Tick> fired = scheduler.fire(now);
                    if (!fired.isEmpty()) {
                        metrics.fired(fired, clock.instant());
                    }
                }
                Presence p;
                while ((p = beacons.poll()) != null) {
                    if (org != null && org.agent(p.member()).isPresent()) {
                        tracker.observe(p, now).ifPresent(t -> notifier.publish(org, t));
                    }
                }
                if (!now.isBefore(nextCheck)) {
                    if (org != null) {
                        tracker.check(now).forEach(t -> notifier.publish(org, t));
                    }
                    nextCheck = now.plus(checkInterval);
                }
                Instant wakeAt = nextCheck;
                Optional<Instant> due = scheduler != null ? scheduler.nextDue() : Optional.empty();
                if (due.isPresent()) {
                    // a moment before a slot, its ticks are encoded, so the slot itself costs only the sends
                    Instant prepareAt = due.get().minus(PREPARE_LEAD);
                    if (clock.instant().isBefore(prepareAt)) {
                        wakeAt = prepareAt.isBefore(wakeAt) ? prepareAt : wakeAt;
                    } else {
                        scheduler.prepare(due.get());
                    }
                    wakeAt = due.get().isBefore(wakeAt) ? due.get() : wakeAt;
                }
                long nanos = Duration.between(clock.instant(), wakeAt).toNanos();
                if (nanos > 0 && pendingOrg.get() == null && beacons.isEmpty()) {
                    LockSupport.parkNanos(nanos);
                }
            } catch (RuntimeException e) {
                LOG.errorf(e, "heartbeat loop error; continuing");
                LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
            }
        }
    }

    private void takeOrg(Org next) {
        boolean sameCompany = org != null && org.company().equals(next.company());
        org = next;
        try {
            var jso = NatsConnector.jetStreamOptions(settings);
            if (scheduler == null || !sameCompany) {
                JetStreamTickSink sink = new JetStreamTickSink(connection.jetStream(jso),
                        connection.jetStreamManagement(jso),
                        next.subjects(), from, otel);
                scheduler = new HeartbeatScheduler(sink);
                notifier = new LivenessNotifier(connection.jetStream(jso), from);
                watchPresence(next);
            }
            metrics.caughtUp(scheduler.load(next, clock.instant()));
            tracker.retain(next.agents().stream().map(Agent::id).collect(Collectors.toSet()));
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.NATS_UNAVAILABLE,
                    "JetStream unavailable: " + e.getMessage(), e);
        }
    }

    private void watchPresence(Org next) {
        try {
            if (presenceWatch != null) {
                presenceWatch.unsubscribe();
            }
            KeyValue kv = connection.keyValue(next.subjects().presenceBucket(),
                    KeyValueOptions.builder().jetStreamOptions(NatsConnector.jetStreamOptions(settings)).build());
            presenceWatch = kv.watchAll(new KeyValueWatcher() {
                @Override
                public void watch(KeyValueEntry entry) {
                    if (entry.getOperation() != KeyValueOperation.PUT) {
                        return;
                    }
                    try {
                        beacons.add(Presence.decode(entry.getValue()));
                        wake();
                    } catch (OrgmeshException e) {
                        LOG.warnf("%s ignoring presence value of %s: %s", e.code().label(), entry.getKey(),
                                e.getMessage());
                    }
                }

                @Override
                public void endOfData() {
                    // current values delivered
                }
            });
        } catch (IOException | JetStreamApiException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warnf("OM-2000 cannot watch presence bucket %s: %s", next.subjects().presenceBucket(), e.toString());
        }
    }

    @Override
    public void close() {
        running = false;
        wake();
        Thread t = loop;
        if (t != null) {
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (presenceWatch != null) {
            try {
                presenceWatch.unsubscribe();
            } catch (RuntimeException e) {
                LOG.debugf("closing presence watch: %s", e);
            }
        }
    }
}
