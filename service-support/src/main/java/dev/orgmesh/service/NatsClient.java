package dev.orgmesh.service;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.quarkus.runtime.Startup;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * The service's one NATS connection. It connects in the background at start, so a service whose NATS is not up
 * yet still starts and reports not-ready instead of crashing, and it reconnects forever.
 */
@Startup
@ApplicationScoped
public class NatsClient {
    private static final Logger LOG = Logger.getLogger(NatsClient.class);
    /** How often a waiter says it is still waiting for NATS. */
    private static final Duration WAIT_LOG_EVERY = Duration.ofSeconds(10);

    private final NatsConfig config;
    private final String applicationName;
    private final AtomicReference<Connection> connection = new AtomicReference<>();
    /** Signalled on every connection event, so waiters wake when the status changes instead of polling it. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    @Inject
    public NatsClient(NatsConfig config,
            @ConfigProperty(name = "quarkus.application.name", defaultValue = "orgmesh") String applicationName) {
        this.config = config;
        this.applicationName = applicationName;
    }

    @PostConstruct
    void start() {
        NatsConnector.connectInBackground(settings(), (conn, event) -> {
            if (event == ConnectionListener.Events.CONNECTED || event == ConnectionListener.Events.RECONNECTED) {
                connection.set(conn);
            }
            lock.lock();
            try {
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        });
    }

    @PreDestroy
    void stop() throws InterruptedException {
        Connection c = connection.getAndSet(null);
        if (c != null) {
            c.close();
        }
    }

    /** The settings this client connects with. */
    public NatsSettings settings() {
        return config.settings("orgmesh-" + applicationName);
    }

    /** The connection once it has been established (it may be reconnecting). */
    public Optional<Connection> connection() {
        return Optional.ofNullable(connection.get());
    }

    /**
     * Waits until the connection is up and returns it; services call this from their start thread so they come up
     * (not ready) while NATS is away. Wakes on the connection's status events; logs every ten seconds while waiting.
     */
    public Connection awaitConnected() throws InterruptedException {
        while (true) {
            Optional<Connection> c = awaitConnected(WAIT_LOG_EVERY);
            if (c.isPresent()) {
                return c.get();
            }
            LOG.infof("waiting for NATS at %s", config.url());
        }
    }

    /** Waits at most {@code patience} for the connection to be up; empty when it is not by then. */
    public Optional<Connection> awaitConnected(Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        lock.lock();
        try {
            while (!isConnected()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Optional.empty();
                }
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
        return connection();
    }

    /** Whether the connection is up right now. */
    public boolean isConnected() {
        Connection c = connection.get();
        return c != null && c.getStatus() == Connection.Status.CONNECTED;
    }

    /** The connection, or {@code NATS_UNAVAILABLE} when it was never established. */
    public Connection require() {
        return connection().orElseThrow(() -> new OrgmeshException(ErrorCode.NATS_UNAVAILABLE,
                "not connected to NATS at " + config.url() + " yet"));
    }

    /** JetStream in the configured domain. */
    public JetStream jetStream() {
        try {
            return require().jetStream(NatsConnector.jetStreamOptions(settings()));
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.NATS_UNAVAILABLE, "JetStream unavailable: " + e.getMessage(), e);
        }
    }

    /** JetStream management in the configured domain. */
    public JetStreamManagement jetStreamManagement() {
        try {
            return require().jetStreamManagement(NatsConnector.jetStreamOptions(settings()));
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.NATS_UNAVAILABLE, "JetStream unavailable: " + e.getMessage(), e);
        }
    }
}
