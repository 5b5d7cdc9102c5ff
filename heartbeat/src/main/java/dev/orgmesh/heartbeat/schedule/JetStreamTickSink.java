package dev.orgmesh.heartbeat.schedule;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.nats.client.FetchConsumeOptions;
import io.nats.client.FetchConsumer;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;

/**
 * Publishes ticks to {@code {co}.heartbeat.{agent}} as envelopes of type {@code heartbeat}, with the tick id as
 * {@code Nats-Msg-Id}, asynchronously so a burst of thousands of due slots is not serialized on round trips. The
 * heartbeat stream keeps one message per agent, so ticks coalesce while an agent is away.
 */
public final class JetStreamTickSink implements TickSink {
    private static final Logger LOG = Logger.getLogger(JetStreamTickSink.class);

    private final JetStream js;
    private final JetStreamManagement jsm;
    private final Subjects subjects;
    private final String from;
    private final AtomicLong stored = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Map<Tick, NatsMessage> prepared = new ConcurrentHashMap<>();

    public JetStreamTickSink(JetStream js, JetStreamManagement jsm, Subjects subjects, String from) {
        this.js = js;
        this.jsm = jsm;
        this.subjects = subjects;
        this.from = from;
    }

    /** The envelope of a tick. */
    public static Envelope envelope(Tick t, String from) {
        return Envelope.builder()
                .id(t.id())
                .from(from)
                .to(t.agent())
                .type("heartbeat")
                .subject("Heartbeat")
                .context(t.prompt())
                .ts(t.slot().at())
                .extra("slot", JsonNodeFactory.instance.textNode(t.slot().id()))
                .extra("catch_up", JsonNodeFactory.instance.booleanNode(t.catchUp()))
                .build();
    }

    @Override
    public void publish(Tick tick) {
        publishAsync(tick);
    }

    @Override
    public void prepare(Tick tick) {
        prepared.put(tick, message(tick));
    }

    @Override
    public void forgetPrepared() {
        prepared.clear();
    }

    /** Ticks encoded ahead of their slot and not yet published. */
    public int preparedCount() {
        return prepared.size();
    }

    private NatsMessage message(Tick tick) {
        Headers h = new Headers();
        h.put(HeaderNames.MSG_ID, tick.id());
        return NatsMessage.builder()
                .subject(subjects.heartbeat(tick.agent()))
                .headers(h)
                .data(EnvelopeCodec.encode(envelope(tick, from)))
                .build();
    }

    /** Publishes (the prepared message when there is one) and returns the server's acknowledgement. */
    public CompletableFuture<PublishAck> publishAsync(Tick tick) {
        NatsMessage ready = prepared.remove(tick);
        NatsMessage m = ready != null ? ready : message(tick);
        return js.publishAsync(m).whenComplete((ack, err) -> {
            if (err != null) {
                failed.incrementAndGet();
                LOG.warnf("OM-5000 heartbeat tick %s not stored: %s", tick.id(), err.toString());
            } else if (ack.isDuplicate()) {
                duplicates.incrementAndGet();
            } else {
                stored.incrementAndGet();
            }
        });
    }

    /**
     * Reads the last tick of every agent in one pass: an ordered consumer delivering the last message per subject
     * of the heartbeat stream (one request per agent would take seconds at 10,000 agents).
     */
    @Override
    public Map<String, Instant> lastScheduled() {
        Map<String, Instant> out = new HashMap<>();
        try {
            long pending = jsm.getStreamInfo(subjects.heartbeatStream()).getStreamState().getMsgCount();
            if (pending == 0) {
                return out;
            }
            OrderedConsumerConfiguration occ = new OrderedConsumerConfiguration()
                    .filterSubject(subjects.heartbeatAll())
                    .deliverPolicy(DeliverPolicy.LastPerSubject);
            var ctx = js.getStreamContext(subjects.heartbeatStream()).createOrderedConsumer(occ);
            try (FetchConsumer consumer = ctx.fetch(FetchConsumeOptions.builder()
                    .maxMessages((int) Math.min(pending, Integer.MAX_VALUE))
                    .expiresIn(5000)
                    .build())) {
                Message m;
                while ((m = consumer.nextMessage()) != null) {
                    try {
                        Envelope e = EnvelopeCodec.decode(m.getData());
                        if (e.to() != null && e.ts() != null) {
                            out.merge(e.to(), e.ts(), (x, y) -> x.isAfter(y) ? x : y);
                        }
                    } catch (RuntimeException bad) {
                        LOG.debugf("skipping unreadable tick on %s: %s", m.getSubject(), bad.toString());
                    }
                    if (m.metaData().pendingCount() == 0) {
                        break;
                    }
                }
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warnf("reading the last ticks: %s; no catch-up ticks this time", e.toString());
        }
        return out;
    }

    /** Ticks stored, refused as duplicates (another instance was first), and failed, since start. */
    public long stored() {
        return stored.get();
    }

    public long duplicates() {
        return duplicates.get();
    }

    public long failed() {
        return failed.get();
    }
}
