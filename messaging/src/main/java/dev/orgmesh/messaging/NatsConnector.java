package dev.orgmesh.messaging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jboss.logging.Logger;

import io.nats.client.AuthHandler;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.Options;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

/**
 * Builds jnats {@link Options} the same way for every orgmesh process: reconnect forever (a hub outage must not
 * leave a service disconnected for good), a reconnect buffer so publishes made during a short outage are sent when
 * the link is back, and logging listeners that never print message bodies.
 */
public final class NatsConnector {
    private static final Logger LOG = Logger.getLogger(NatsConnector.class);

    /** Bytes of outgoing data jnats buffers while reconnecting (8 MiB). */
    public static final long RECONNECT_BUFFER_BYTES = 8L * 1024 * 1024;

    private NatsConnector() {
    }

    /** The options for {@code settings}; listeners may be {@code null}. */
    public static Options options(NatsSettings settings, ConnectionListener connectionListener,
            ErrorListener errorListener) {
        Options.Builder b = Options.builder()
                .server(settings.url())
                .connectionName(settings.connectionName())
                .connectionTimeout(settings.connectTimeout())
                .reconnectWait(settings.reconnectWait())
                .maxReconnects(-1)
                .reconnectBufferSize(RECONNECT_BUFFER_BYTES)
                .connectionListener(connectionListener != null ? connectionListener : NatsConnector::logEvent)
                .errorListener(errorListener != null ? errorListener : new LoggingErrorListener());
        settings.inboxPrefix().ifPresent(b::inboxPrefix);
        settings.credsFile().ifPresent(path -> b.authHandler(authHandler(path)));
        return b.build();
    }

    /**
     * The auth handler for a credentials file: a JWT {@code .creds} file (user JWT + seed) or a bare NKey seed
     * file as hub-bootstrap renders for config-file users (ADR 0001).
     */
    static AuthHandler authHandler(Path path) {
        String text;
        try {
            text = Files.readString(path);
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.NATS_UNAVAILABLE,
                    "credentials file " + path + " is missing or unreadable");
        }
        boolean jwt = text.contains("BEGIN NATS USER JWT");
        return jwt ? Nats.credentials(path.toString()) : Nats.credentials(null, path.toString());
    }

    /** JetStream options carrying the domain, when one is configured. */
    public static JetStreamOptions jetStreamOptions(NatsSettings settings) {
        JetStreamOptions.Builder b = JetStreamOptions.builder();
        settings.jsDomain().ifPresent(b::domain);
        return b.build();
    }

    /**
     * Connects now, failing with {@code NATS_UNAVAILABLE} naming the URL when the first attempt does not succeed.
     * For command-line tools and tests; services use {@link #connectInBackground}.
     */
    public static Connection connect(NatsSettings settings) {
        try {
            return Nats.connect(options(settings, null, null));
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.NATS_UNAVAILABLE,
                    "cannot reach NATS at " + settings.url() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OrgmeshException(ErrorCode.NATS_UNAVAILABLE, "interrupted while connecting to " + settings.url(),
                    e);
        }
    }

    /**
     * Starts connecting without blocking; {@code listener} receives the connection on {@code CONNECTED} and every
     * later event. Used by services so they start (and report not-ready) while NATS is still unreachable.
     */
    public static void connectInBackground(NatsSettings settings, ConnectionListener listener) {
        try {
            Nats.connectAsynchronously(options(settings, (conn, event) -> {
                logEvent(conn, event);
                listener.connectionEvent(conn, event);
            }, null), true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OrgmeshException(ErrorCode.NATS_UNAVAILABLE, "interrupted while connecting to " + settings.url(),
                    e);
        }
    }

    private static void logEvent(Connection conn, ConnectionListener.Events event) {
        String server = conn == null || conn.getConnectedUrl() == null ? "-" : conn.getConnectedUrl();
        switch (event) {
            case DISCONNECTED -> LOG.warnf("OM-2000 NATS %s (server %s)", event.name().toLowerCase(), server);
            default -> LOG.infof("NATS %s (server %s)", event.name().toLowerCase(), server);
        }
    }

    /** Logs server errors (permission violations among them) without message contents. */
    static final class LoggingErrorListener implements ErrorListener {
        @Override
        public void errorOccurred(Connection conn, String error) {
            if (error != null && error.toLowerCase().contains("permissions violation")) {
                LOG.warnf("OM-2001 NATS refused an operation: %s", error);
            } else {
                LOG.warnf("NATS error: %s", error);
            }
        }

        @Override
        public void exceptionOccurred(Connection conn, Exception exp) {
            LOG.warnf("NATS client exception: %s", exp.toString());
        }
    }
}
