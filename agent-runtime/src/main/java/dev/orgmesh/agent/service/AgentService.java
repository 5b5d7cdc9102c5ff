package dev.orgmesh.agent.service;

import java.time.Duration;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.orgmesh.agent.boot.AgentSoul;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.runtime.AgentRuntime;
import dev.orgmesh.messaging.NatsClient;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * The Quarkus entry point, kept thin: at start it reads the soul (org file + id, failing fast on an unknown agent or
 * a hub URL on the client port), waits for the NATS connection and starts the plain {@link AgentRuntime} with it;
 * at shutdown it stops the runtime gracefully.
 */
@ApplicationScoped
public class AgentService {
    private static final Logger LOG = Logger.getLogger(AgentService.class);

    private final NatsClient nats;
    private final AgentConfig config;
    private final Handler handler;
    private final MeterRegistry registry;
    private volatile AgentRuntime runtime;
    private volatile AgentSoul soul;
    private volatile Thread starter;

    public AgentService(NatsClient nats, AgentConfig config, Handler handler, MeterRegistry registry) {
        this.nats = nats;
        this.config = config;
        this.handler = handler;
        this.registry = registry;
    }

    void onStart(@Observes StartupEvent ev) {
        soul = AgentSoul.load(config.orgFile(), config.id(), config.hubUrl());
        LOG.infof("agent %s (%s) of %s; hub %s", soul.agent().id(), soul.agent().role(), soul.org().company(),
                soul.hubUrl().orElse("(not set)"));
        starter = Thread.ofVirtual().name("agent-start").start(this::startWhenConnected);
    }

    void onStop(@Observes ShutdownEvent ev) {
        Thread s = starter;
        if (s != null) {
            s.interrupt();
        }
        AgentRuntime r = runtime;
        if (r != null) {
            r.close(config.shutdownGrace());
        }
    }

    private void startWhenConnected() {
        try {
            Connection c = awaitConnection();
            runtime = new AgentRuntime(c, nats.settings(), soul, handler, config.options(), registry, null).start();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (OrgmeshException e) {
            LOG.errorf("%s agent runtime did not start: %s", e.code().label(), e.getMessage());
        }
    }

    private Connection awaitConnection() throws InterruptedException {
        long nextLog = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            Optional<Connection> c = nats.connection();
            if (c.isPresent() && nats.isConnected()) {
                return c.get();
            }
            if (System.nanoTime() > nextLog) {
                LOG.infof("waiting for NATS at %s", nats.settings().url());
                nextLog = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            }
            Thread.sleep(Duration.ofMillis(200));
        }
    }

    /** The running runtime, once started. */
    public Optional<AgentRuntime> runtime() {
        return Optional.ofNullable(runtime);
    }

    /** The soul read at start. */
    public Optional<AgentSoul> soul() {
        return Optional.ofNullable(soul);
    }
}
