package dev.orgmesh.vault.bridge;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Subscription;

import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * The NATS side of the bridge: subscribes {@code {co}.vault.*.get} in queue group {@value #QUEUE_GROUP} (so several
 * bridges share the load and each request is answered once), hands each request to {@link SecretService} on a virtual
 * thread (a backend may block on HTTP), and replies with the sealed result or a service error reply
 * ({@link Replies#error}). A bad request never stops the responder.
 */
public final class VaultResponder implements AutoCloseable {
    /** The queue group every bridge joins. */
    public static final String QUEUE_GROUP = "vault-bridge";

    private static final Logger LOG = Logger.getLogger(VaultResponder.class);

    private final Connection connection;
    private final SecretService service;
    private final Semaphore inFlight;
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private volatile Dispatcher dispatcher;
    private volatile Subscription subscription;

    /**
     * @param maxInFlight requests handled at once; above it the responder stops taking messages until one is done
     */
    public VaultResponder(Connection connection, SecretService service, int maxInFlight) {
        this.connection = connection;
        this.service = service;
        this.inFlight = new Semaphore(maxInFlight);
    }

    /** Subscribes and waits until the server has the subscription. */
    public VaultResponder start(Duration flushTimeout) {
        Dispatcher d = connection.createDispatcher();
        subscription = d.subscribe(service.subscription(), QUEUE_GROUP, this::onMessage);
        dispatcher = d;
        try {
            connection.flush(flushTimeout);
        } catch (Exception e) {
            LOG.warnf("OM-2000 could not confirm the vault subscription within %s: %s", flushTimeout, e.toString());
        }
        LOG.infof("vault-bridge answering %s in queue group %s", service.subscription(), QUEUE_GROUP);
        return this;
    }

    /** Whether the responder is subscribed on a live connection. */
    public boolean isServing() {
        Subscription s = subscription;
        return s != null && s.isActive() && connection.getStatus() == Connection.Status.CONNECTED;
    }

    private void onMessage(Message m) throws InterruptedException {
        inFlight.acquire();
        try {
            workers.execute(() -> {
                try {
                    answer(m);
                } finally {
                    inFlight.release();
                }
            });
        } catch (RuntimeException e) {
            inFlight.release();
            throw e;
        }
    }

    void answer(Message m) {
        String replyTo = m.getReplyTo();
        try {
            byte[] reply = service.handle(m.getSubject(), replyTo, m.getHeaders(), m.getData());
            if (replyTo != null && !replyTo.isEmpty()) {
                connection.publish(replyTo, reply);
            }
        } catch (OrgmeshException e) {
            Replies.error(connection, replyTo, e);
        } catch (RuntimeException e) {
            // A bug must not take the responder down, and its message may not be safe to echo.
            LOG.errorf("OM-6004 unexpected failure answering a request on %s: %s", m.getSubject(),
                    e.getClass().getName());
            Replies.error(connection, replyTo, new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE,
                    "the bridge failed to answer; see its log"));
        }
    }

    @Override
    public void close() {
        Dispatcher d = dispatcher;
        if (d != null) {
            try {
                connection.closeDispatcher(d);
            } catch (RuntimeException e) {
                LOG.debugf("closing the vault dispatcher: %s", e.toString());
            }
        }
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
