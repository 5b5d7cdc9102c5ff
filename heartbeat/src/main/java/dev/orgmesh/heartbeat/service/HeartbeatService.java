package dev.orgmesh.heartbeat.service;

import java.time.InstantSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.opentelemetry.api.OpenTelemetry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.orgmesh.heartbeat.HeartbeatEngine;
import dev.orgmesh.heartbeat.HeartbeatMetrics;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.service.NatsClient;
import dev.orgmesh.service.ServiceStart;

/**
 * Entry point: once NATS is up, starts the {@link HeartbeatEngine} with the org from a file, or follows the org
 * stored on the hub so schedule changes apply without a restart. Several instances may run: ticks and liveness
 * messages carry deterministic ids, so each slot and each change is stored once.
 */
@ApplicationScoped
public class HeartbeatService {
    private final NatsClient nats;
    private final HeartbeatConfig config;
    private final HeartbeatMetrics metrics;
    private final ServiceStart start;
    private final OpenTelemetry otel;
    private volatile HeartbeatEngine engine;

    public HeartbeatService(NatsClient nats, HeartbeatConfig config, MeterRegistry registry, OpenTelemetry otel) {
        this.nats = nats;
        this.otel = otel;
        this.config = config;
        this.metrics = new HeartbeatMetrics(registry);
        this.start = new ServiceStart("heartbeat", nats, ErrorCode.HEARTBEAT_BAD_SCHEDULE);
    }

    void onStart(@Observes StartupEvent ev) {
        if (start.orgNamed(config, "orgmesh.heartbeat", ErrorCode.HEARTBEAT_BAD_SCHEDULE, "heartbeats are off")) {
            start.run(this::begin);
        }
    }

    void onStop(@Observes ShutdownEvent ev) {
        start.close();
        if (engine != null) {
            engine.close();
        }
    }

    /** Whether the engine runs. */
    public boolean isRunning() {
        return engine != null;
    }

    private void begin(Connection c) throws InterruptedException {
        HeartbeatEngine e = new HeartbeatEngine(c, nats.settings(), InstantSource.system(), config.checkInterval(),
                Subjects.HEARTBEAT_SENDER).metrics(metrics).tracing(otel);
        e.start();
        engine = e;
        start.followOrg(c, config, e::setOrg);
    }
}
