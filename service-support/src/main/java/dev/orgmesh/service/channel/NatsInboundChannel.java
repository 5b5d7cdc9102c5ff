package dev.orgmesh.service.channel;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.impl.Headers;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.service.NatsClient;

/**
 * One incoming {@code orgmesh-nats} channel: a core subscription on the service's own connection, feeding a
 * {@link DropOldestBuffer}. It subscribes once the channel has a consumer, its subject is known and the connection is
 * up, in that order, on a virtual thread, so a service whose NATS is away still starts. The dispatcher only wraps
 * and offers each message; nothing is acknowledged (a core subscription takes nothing from any stream).
 */
final class NatsInboundChannel implements Flow.Publisher<Message<byte[]>>, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NatsInboundChannel.class);

    private final String channel;
    private final NatsClient nats;
    private final CompletableFuture<String> subject;
    private final int bufferSize;
    private final DropOldestBuffer<Message<byte[]>> buffer;
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean closed;
    private volatile Thread attacher;
    private volatile Connection connection;
    private volatile Dispatcher dispatcher;

    NatsInboundChannel(String channel, NatsClient nats, CompletableFuture<String> subject, int bufferSize) {
        this.channel = channel;
        this.nats = nats;
        this.subject = subject;
        this.bufferSize = bufferSize;
        this.buffer = new DropOldestBuffer<>(channel, bufferSize, this::close);
    }

    @Override
    public void subscribe(Flow.Subscriber<? super Message<byte[]>> s) {
        buffer.subscribe(s);
        if (started.compareAndSet(false, true)) {
            attacher = Thread.ofVirtual().name("orgmesh-channel-" + channel + "-attach").start(this::attach);
        }
    }

    private void attach() {
        try {
            String s = subject.get();
            Connection c = nats.awaitConnected();
            synchronized (this) {
                if (closed) {
                    return;
                }
                connection = c;
                dispatcher = c.createDispatcher(
                        m -> take(m.getSubject(), m.getData(), m.hasHeaders() ? m.getHeaders() : null));
                dispatcher.subscribe(s);
            }
            LOG.infof("channel %s follows %s (buffer %d, the oldest dropped when full)", channel, s, bufferSize);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | RuntimeException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            OrgmeshException failure = new OrgmeshException(ErrorCode.CHANNEL_MISCONFIGURED,
                    "channel " + channel + " cannot subscribe: " + cause.getMessage(), cause);
            LOG.errorf("%s %s", failure.code().label(), failure.getMessage());
            buffer.fail(failure);
        }
    }

    /** On the dispatcher's thread: wraps and offers, never waits. */
    private void take(String published, byte[] data, Headers headers) {
        Message<byte[]> message = Message.of(data, Metadata.of(new NatsMetadata(published, headers)));
        if (!buffer.offer(message)) {
            long n = buffer.dropped();
            if (Long.bitCount(n) == 1) {
                LOG.warnf("%s channel %s dropped its oldest message (%d so far): its consumer is behind by %d",
                        ErrorCode.CHANNEL_OVERFLOW.label(), channel, n, bufferSize);
            }
        }
    }

    /** Messages dropped, oldest first, because the consumer was behind by the whole buffer. */
    long dropped() {
        return buffer.dropped();
    }

    /** Messages handed to the consumer. */
    long delivered() {
        return buffer.delivered();
    }

    /** Messages waiting for the consumer. */
    int buffered() {
        return buffer.buffered();
    }

    /** Whether the subscription is in place. */
    boolean subscribed() {
        return dispatcher != null && !closed;
    }

    @Override
    public void close() {
        Dispatcher d;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            d = dispatcher;
        }
        buffer.cancel();
        Thread t = attacher;
        if (t != null) {
            t.interrupt();
        }
        Connection c = connection;
        if (d != null && c != null && c.getStatus() != Connection.Status.CLOSED) {
            c.closeDispatcher(d);
        }
    }
}
