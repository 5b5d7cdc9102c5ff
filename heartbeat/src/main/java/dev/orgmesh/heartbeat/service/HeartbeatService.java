package dev.orgmesh.heartbeat.service;

import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueOptions;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.orgmesh.heartbeat.HeartbeatEngine;
import dev.orgmesh.messaging.NatsClient;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.assets.OrgDocument;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.org.OrgInvalidException;
import dev.orgmesh.protocol.org.OrgLoader;

/**
 * Entry point: once NATS is up, starts the {@link HeartbeatEngine} with the org from a file, or follows the org
 * stored on the hub so schedule changes apply without a restart. Several instances may run: ticks and liveness
 * messages carry deterministic ids, so each slot and each change is stored once.
 */
@ApplicationScoped
public class HeartbeatService {
    private static final Logger LOG = Logger.getLogger(HeartbeatService.class);

    private final NatsClient nats;
    private final HeartbeatConfig config;
    private volatile HeartbeatEngine engine;
    private volatile Thread starter;

    public HeartbeatService(NatsClient nats, HeartbeatConfig config) {
        this.nats = nats;
        this.config = config;
    }

    void onStart(@Observes StartupEvent ev) {
        if (config.orgFile().isEmpty() && config.company().isEmpty()) {
            LOG.warnf("%s no org: set orgmesh.heartbeat.org-file or orgmesh.heartbeat.company; heartbeats are off",
                    ErrorCode.HEARTBEAT_BAD_SCHEDULE.label());
            return;
        }
        starter = Thread.ofVirtual().name("heartbeat-start").start(this::begin);
    }

    void onStop(@Observes ShutdownEvent ev) {
        if (starter != null) {
            starter.interrupt();
        }
        if (engine != null) {
            engine.close();
        }
    }

    /** Whether the engine runs. */
    public boolean isRunning() {
        return engine != null;
    }

    private void begin() {
        try {
            Connection c = nats.awaitConnected();
            HeartbeatEngine e = new HeartbeatEngine(c, nats.settings(), InstantSource.system(), config.checkInterval(),
                    Subjects.HEARTBEAT_SENDER);
            e.start();
            engine = e;
            if (config.orgFile().isPresent()) {
                e.setOrg(OrgLoader.load(config.orgFile().get()));
                return;
            }
            Subjects s = Subjects.of(config.company().get());
            KeyValue kv = awaitBucket(c, s);
            OrgDocument.watch(kv, text -> {
                try {
                    e.setOrg(OrgLoader.parse(text, "stored org"));
                } catch (OrgInvalidException ex) {
                    LOG.errorf("%s stored org is invalid; keeping the previous schedules. %s", ex.code().label(),
                            ex.getMessage());
                }
            });
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException ex) {
            LOG.errorf(ex, "heartbeat could not start");
        }
    }

    private KeyValue awaitBucket(Connection c, Subjects s) throws InterruptedException {
        while (true) {
            try {
                KeyValue kv = c.keyValue(s.orgBucket(), KeyValueOptions.builder()
                        .jetStreamOptions(NatsConnector.jetStreamOptions(nats.settings())).build());
                kv.getStatus();
                return kv;
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                LOG.debugf("org bucket %s not there yet: %s", s.orgBucket(), e.toString());
                Thread.sleep(Duration.ofSeconds(1));
            }
        }
    }
}
