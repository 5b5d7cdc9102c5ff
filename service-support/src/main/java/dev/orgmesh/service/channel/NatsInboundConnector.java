package dev.orgmesh.service.channel;

import static io.smallrye.reactive.messaging.annotations.ConnectorAttribute.Direction.INCOMING;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Flow;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.spi.Connector;
import org.eclipse.microprofile.reactive.messaging.spi.ConnectorFactory;

import io.smallrye.reactive.messaging.annotations.ConnectorAttribute;
import io.smallrye.reactive.messaging.connector.InboundConnector;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.service.NatsClient;

/**
 * orgmesh's own SmallRye Reactive Messaging connector for incoming channels: a <em>core</em> NATS subscription on the
 * service's one connection ({@link NatsClient}, with its rendered credentials, JetStream domain and inbox prefix), so
 * a channel needs no connection, credentials, stream or consumer of its own (ADR 0011). Each message becomes a
 * {@code Message<byte[]>} with {@link NatsMetadata}; acknowledging it does nothing, since a core subscription takes
 * nothing from any stream.
 *
 * <p>A live feed must never hold up the NATS dispatcher, so a channel buffers at most {@code buffer-size} messages for
 * its consumer and, when full, drops the oldest and counts it ({@link #dropped}, logged as {@code CHANNEL_OVERFLOW}).
 * The subscription is made once the channel has its consumer, its subject is known and the connection is up.
 *
 * <pre>
 * mp.messaging.incoming.feed.connector=orgmesh-nats
 * mp.messaging.incoming.feed.subject=acme.&gt;      # or give it at run time: ChannelSubjects.set("feed", …)
 * mp.messaging.incoming.feed.buffer-size=1024
 * </pre>
 */
@ApplicationScoped
@Connector(NatsInboundConnector.NAME)
@ConnectorAttribute(name = NatsInboundConnector.SUBJECT, type = "string", direction = INCOMING, description = "The core NATS subject to subscribe to, wildcards allowed. When absent, the service gives it at"
        + " run time through ChannelSubjects, and the channel subscribes once it has.")
@ConnectorAttribute(name = NatsInboundConnector.BUFFER_SIZE, type = "int", direction = INCOMING, description = "How many messages wait for a slow consumer at most; beyond that the oldest is dropped and"
        + " counted.", defaultValue = "1024")
public class NatsInboundConnector implements InboundConnector {
    /** The connector's name in {@code mp.messaging.incoming.<channel>.connector}. */
    public static final String NAME = "orgmesh-nats";
    /** Channel attribute: the subject. */
    public static final String SUBJECT = "subject";
    /** Channel attribute: the buffer's size, in messages. */
    public static final String BUFFER_SIZE = "buffer-size";
    /** {@link #BUFFER_SIZE}'s default. */
    public static final int DEFAULT_BUFFER_SIZE = 1024;

    private final NatsClient nats;
    private final ChannelSubjects subjects;
    private final Map<String, NatsInboundChannel> channels = new ConcurrentHashMap<>();

    public NatsInboundConnector(NatsClient nats, ChannelSubjects subjects) {
        this.nats = nats;
        this.subjects = subjects;
    }

    @Override
    public Flow.Publisher<? extends Message<?>> getPublisher(Config config) {
        String channel = config.getValue(ConnectorFactory.CHANNEL_NAME_ATTRIBUTE, String.class);
        int size = config.getOptionalValue(BUFFER_SIZE, Integer.class).orElse(DEFAULT_BUFFER_SIZE);
        if (size < 1) {
            throw new OrgmeshException(ErrorCode.CHANNEL_MISCONFIGURED,
                    "channel " + channel + ": " + BUFFER_SIZE + " must be at least 1, not " + size);
        }
        Optional<String> configured = config.getOptionalValue(SUBJECT, String.class).filter(s -> !s.isBlank());
        CompletableFuture<String> subject = configured.map(CompletableFuture::completedFuture)
                .orElseGet(() -> subjects.of(channel));
        NatsInboundChannel c = new NatsInboundChannel(channel, nats, subject, size);
        NatsInboundChannel before = channels.put(channel, c);
        if (before != null) {
            before.close();
        }
        return c;
    }

    /** Messages {@code channel} dropped because its consumer was behind; 0 for a channel this connector lacks. */
    public long dropped(String channel) {
        return Optional.ofNullable(channels.get(channel)).map(NatsInboundChannel::dropped).orElse(0L);
    }

    /** Messages {@code channel} handed to its consumer. */
    public long delivered(String channel) {
        return Optional.ofNullable(channels.get(channel)).map(NatsInboundChannel::delivered).orElse(0L);
    }

    /** Messages waiting for {@code channel}'s consumer. */
    public int buffered(String channel) {
        return Optional.ofNullable(channels.get(channel)).map(NatsInboundChannel::buffered).orElse(0);
    }

    /** Whether {@code channel}'s subscription is in place. */
    public boolean subscribed(String channel) {
        return Optional.ofNullable(channels.get(channel)).map(NatsInboundChannel::subscribed).orElse(false);
    }

    /** Unsubscribes every channel. */
    @PreDestroy
    public void close() {
        channels.values().forEach(NatsInboundChannel::close);
    }
}
