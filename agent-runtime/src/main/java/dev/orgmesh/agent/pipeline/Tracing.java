package dev.orgmesh.agent.pipeline;

import java.util.List;

import io.nats.client.impl.Headers;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;

import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.TraceContext;
import dev.orgmesh.protocol.envelope.Envelope;

/**
 * OpenTelemetry for the stages: a span per handled message ({@code orgmesh.agent.handle}, or {@code orgmesh.agent.ask}
 * for a request), a child span for its brain call ({@code orgmesh.agent.brain}) and one for storing what it sent
 * ({@code orgmesh.agent.store}), and the W3C {@code traceparent} on
 * every message the agent sends. A message continues the trace its {@code traceparent} header names; one without (a
 * shell {@code nats pub}) joins its thread's trace ({@link TraceContext}), so a thread is one trace whoever starts it.
 * With the SDK off (the default, no collector) spans are not recorded and outgoing headers are what
 * {@link TraceContext} derives, the same on every redelivery.
 */
public final class Tracing {
    /** No spans: headers from {@link TraceContext} only. */
    public static final Tracing OFF = new Tracing(OpenTelemetry.noop());

    private static final TextMapPropagator W3C = W3CTraceContextPropagator.getInstance();
    private static final AttributeKey<String> AGENT = AttributeKey.stringKey("orgmesh.agent");
    private static final AttributeKey<String> SOURCE = AttributeKey.stringKey("orgmesh.source");
    private static final AttributeKey<String> MESSAGE = AttributeKey.stringKey("messaging.message.id");
    private static final AttributeKey<String> TYPE = AttributeKey.stringKey("orgmesh.type");
    private static final AttributeKey<String> FROM = AttributeKey.stringKey("orgmesh.from");
    private static final AttributeKey<Long> MESSAGES = AttributeKey.longKey("messaging.batch.message_count");
    /** Reads the one header a W3C propagator asks for from a traceparent value. */
    private static final TextMapGetter<String> ONE_HEADER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(String carrier) {
            return List.of(HeaderNames.TRACEPARENT);
        }

        @Override
        public String get(String carrier, String key) {
            return HeaderNames.TRACEPARENT.equals(key) ? carrier : null;
        }
    };

    private final Tracer tracer;

    public Tracing(OpenTelemetry otel) {
        this.tracer = otel.getTracer("dev.orgmesh.agent");
    }

    /**
     * Starts the span of handling {@code in}, received from {@code source} with {@code headers}; the caller ends it
     * ({@link #end}).
     */
    Span handle(String agent, String source, Envelope in, Headers headers) {
        String parent = headers == null ? null : headers.getFirst(HeaderNames.TRACEPARENT);
        if (TraceContext.traceId(parent) == null) {
            parent = TraceContext.traceparent(null, in.threadOrId(), in.id());
        }
        Context remote = W3C.extract(Context.root(), parent, ONE_HEADER);
        return tracer.spanBuilder("ask".equals(source) ? "orgmesh.agent.ask" : "orgmesh.agent.handle")
                .setParent(remote).setSpanKind("ask".equals(source) ? SpanKind.SERVER : SpanKind.CONSUMER)
                .setAttribute(AGENT, agent).setAttribute(SOURCE, source)
                .setAttribute(MESSAGE, String.valueOf(in.id())).setAttribute(TYPE, String.valueOf(in.type()))
                .setAttribute(FROM, String.valueOf(in.from()))
                .startSpan();
    }

    /** Starts the span of the brain call within {@code handling}. */
    Span brain(Span handling) {
        return stage(handling, "orgmesh.agent.brain");
    }

    /**
     * Starts the span of storing what the brain sent within {@code handling} ({@code orgmesh.agent.store}: the outbox
     * until the streams acknowledged every message), with how many messages.
     */
    Span store(Span handling, int messages) {
        Span s = stage(handling, "orgmesh.agent.store");
        s.setAttribute(MESSAGES, (long) messages);
        return s;
    }

    private Span stage(Span handling, String name) {
        return tracer.spanBuilder(name).setParent(Context.root().with(handling)).startSpan();
    }

    /** Ends {@code span}, marked as an error when {@code failure} is not null. */
    static void end(Span span, Throwable failure) {
        if (failure != null) {
            span.recordException(failure);
            span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
        }
        span.end();
    }

    /**
     * Puts the {@code traceparent} of {@code ready} on {@code out}; {@code ready} is sent while {@code handling} (null:
     * outside any handled message) what came with {@code incoming}. A child of the handling span when that is
     * recorded (injected by the W3C propagator), else derived ({@link TraceContext}) from the incoming header or the
     * thread.
     */
    static void traceparent(Headers out, Envelope ready, Headers incoming, Span handling) {
        if (handling != null && handling.isRecording()) {
            W3C.inject(Context.root().with(handling), out, (h, k, v) -> h.put(k, v));
            return;
        }
        String parent = incoming == null ? null : incoming.getFirst(HeaderNames.TRACEPARENT);
        out.put(HeaderNames.TRACEPARENT, TraceContext.traceparent(parent, ready.threadOrId(), ready.id()));
    }
}
