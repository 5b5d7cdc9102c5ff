package dev.orgmesh.heartbeat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

import dev.orgmesh.heartbeat.schedule.Tick;

/**
 * The heartbeat service's meters (Prometheus names in brackets): ticks handed to NATS, on time or as catch-up
 * ({@code orgmesh_heartbeat_ticks_total{catch_up}}); how late an on-time tick left after its slot
 * ({@code orgmesh_heartbeat_tick_lateness_seconds}); and slots that passed while no heartbeat instance ran, each owed
 * one catch-up tick ({@code orgmesh_heartbeat_missed_slots_total}).
 */
public final class HeartbeatMetrics {
    /** Records nothing: for engines built outside a service (tests, benchmarks). */
    public static final HeartbeatMetrics NONE = new HeartbeatMetrics(new CompositeMeterRegistry());

    private final Counter onTime;
    private final Counter catchUp;
    private final Counter missed;
    private final Timer lateness;

    public HeartbeatMetrics(MeterRegistry registry) {
        this.onTime = ticks(registry, "false");
        this.catchUp = ticks(registry, "true");
        this.missed = Counter.builder("orgmesh.heartbeat.missed.slots")
                .description("agents whose slot passed while no heartbeat instance ran; each got one catch-up tick")
                .register(registry);
        this.lateness = Timer.builder("orgmesh.heartbeat.tick.lateness")
                .description("from a tick's slot to when it was handed to NATS").register(registry);
    }

    private static Counter ticks(MeterRegistry registry, String catchUp) {
        return Counter.builder("orgmesh.heartbeat.ticks").description("heartbeat ticks handed to NATS")
                .tag("catch_up", catchUp).register(registry);
    }

    /** {@code ticks} of their slots left at {@code sent}. */
    public void fired(List<Tick> ticks, Instant sent) {
        for (Tick t : ticks) {
            onTime.increment();
            Duration late = Duration.between(t.slot().at(), sent);
            lateness.record(late.isNegative() ? Duration.ZERO : late);
        }
    }

    /** {@code ticks} were owed for slots missed while no instance ran. */
    public void caughtUp(List<Tick> ticks) {
        catchUp.increment(ticks.size());
        missed.increment(ticks.size());
    }
}
