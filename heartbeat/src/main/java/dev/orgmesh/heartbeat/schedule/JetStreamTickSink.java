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
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;

import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.TraceContext;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;

/**
 * Publishes ticks to {@code {co}.heartbeat.{agent}} as envelopes of type {@code heartbeat}, with the tick id as
 * {@code Nats-Msg-Id}, asynchronously so a burst of thousands of due slots is not serialized on round trips. The
 * heartbeat stream keeps one message per agent, so ticks coalesce while an agent is away.
 *
 * <p>Every tick carries a W3C {@code traceparent}, so the agent's span of handling it ({@code orgmesh.agent.handle})
 * continues the tick's trace. With OpenTelemetry on, each published tick is a span {@code orgmesh.heartbeat.tick}
 * (PRODUCER, ended when the stream acknowledged it) and the header names that span; with it off (the default) no span
 * is started and the header is the one {@link TraceContext} derives from the tick id, computed when the tick is
 * prepared ahead of its slot, so a slot of thousands of agents costs nothing more.
 */
public final class JetStreamTickSink implements TickSink {
    private static final Logger LOG = Logger.getLogger(JetStreamTickSink.class);
    private static final AttributeKey<String> AGENT = AttributeKey.stringKey("orgmesh.agent");
    private static final AttributeKey<String> MESSAGE = AttributeKey.stringKey("messaging.message.id");
    private static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    private static final AttributeKey<String> SLOT = AttributeKey.stringKey("orgmesh.heartbeat.slot");
    private static final AttributeKey<Boolean> CATCH_UP = AttributeKey.booleanKey("orgmesh.heartbeat.catch_up");
    private static final AttributeKey<Boolean> DUPLICATE = AttributeKey.booleanKey("orgmesh.heartbeat.duplicate");

    private final JetStream js;
    private final JetStreamManagement jsm;
    private final Subjects subjects;
    private final String from;
    private final AtomicLong stored = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Map<Tick, NatsMessage> prepared = new ConcurrentHashMap<>();
    /** Null when OpenTelemetry is known to be off: the no-op path then starts no span at all. */
    private final Tracer tracer;

    public JetStreamTickSink(JetStream js, JetStreamManagement jsm, Subjects subjects, String from) {
        this(js, jsm, subjects, from, OpenTelemetry.noop());
    }

    /** As {@link #JetStreamTickSink(JetStream, JetStreamManagement, Subjects, String)}, a span per tick in {@code otel}. */
    public JetStreamTickSink(JetStream js, JetStreamManagement jsm, Subjects subjects, String from,
            OpenTelemetry otel) {
        this.js = js;
        this.jsm = jsm;
        this.subjects = subjects;
        this.from = from;
        this.tracer = otel == OpenTelemetry.noop() || otel.getTracerProvider() == TracerProvider.noop()
                ? null
                : otel.getTracer("dev.orgmesh.heartbeat");
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
        // the envelope has no thread: the agent derives the same trace from the tick id when a header is missing
        h.put(HeaderNames.TRACEPARENT, TraceContext.traceparent(null, tick.id(), tick.id()));
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
        Span span = tracer == null ? null : span(tick, m.getSubject());
        if (span != null && span.isRecording()) {
            m = traced(m, span);
        }
        return js.publishAsync(m).whenComplete((ack, err) -> {
            if (err != null) {
                failed.incrementAndGet();
                LOG.warnf("OM-5000 heartbeat tick %s not stored: %s", tick.id(), err.toString());
            } else if (ack.isDuplicate()) {
                duplicates.incrementAndGet();
            } else {
                stored.incrementAndGet();
            }
            if (span != null) {
                if (err != null) {
                    span.setStatus(StatusCode.ERROR, "OM-5000 not stored: " + err);
                } else {
                    span.setAttribute(DUPLICATE, ack.isDuplicate());
                }
                span.end();
            }
        });
    }

    /** The span of publishing {@code tick}: a new trace, which the agent's handling of the tick continues. */
    private Span span(Tick tick, String subject) {
        return tracer.spanBuilder("orgmesh.heartbeat.tick").setNoParent().setSpanKind(SpanKind.PRODUCER)
                .setAttribute(AGENT, tick.agent()).setAttribute(MESSAGE, tick.id())
                .setAttribute(DESTINATION, subject).setAttribute(SLOT, tick.slot().id())
                .setAttribute(CATCH_UP, tick.catchUp()).startSpan();
    }

    /** {@code m} with the {@code traceparent} of {@code span} (the encoded body is reused). */
    private static NatsMessage traced(NatsMessage m, Span span) {
        Headers h = new Headers(m.getHeaders());
        W3CTraceContextPropagator.getInstance().inject(Context.root().with(span), h, (c, k, v) -> c.put(k, v));
        return NatsMessage.builder().subject(m.getSubject()).headers(h).data(m.getData()).build();
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
