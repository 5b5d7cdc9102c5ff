package dev.orgmesh.heartbeat.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import io.nats.client.Connection;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;

import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.TraceContext;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.Slot;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;

/**
 * Ticks through a real JetStream server carry a W3C traceparent: with OpenTelemetry on, the one of the tick's span
 * ({@code orgmesh.heartbeat.tick}, ended on the stream's acknowledgement); with it off, the one derived from the tick id,
 * which is what the agent would derive itself.
 */
@NatsTest
class TickTracingTest {
    static final Instant T0 = Instant.parse("2026-05-01T10:00:00Z");

    @Test
    void aPublishedTickIsASpanAndCarriesItsTraceparent(NatsServer server) throws Exception {
        Org org = HeartbeatSchedulerTest.org("tracedhb", 2);
        Subjects s = org.subjects();
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        try (Connection c = HeartbeatSchedulerTest.setUp(server, org)) {
            JetStreamTickSink sink = new JetStreamTickSink(c.jetStream(), c.jetStreamManagement(), s, "heartbeat",
                    otel);
            Tick tick = new Tick("a0", new Slot("n-1", T0), "check in", false);
            sink.prepare(tick); // encoded ahead of its slot, as the engine does
            sink.publishAsync(tick).get();

            await().atMost(Duration.ofSeconds(5)).until(() -> !spans.getFinishedSpanItems().isEmpty());
            SpanData span = spans.getFinishedSpanItems().getFirst();
            assertThat(span.getName()).isEqualTo("orgmesh.heartbeat.tick");
            assertThat(span.getKind()).isEqualTo(SpanKind.PRODUCER);
            assertThat(span.getParentSpanContext().isValid()).as("a tick starts its trace").isFalse();
            assertThat(span.getAttributes().get(AttributeKey.stringKey("orgmesh.agent"))).isEqualTo("a0");
            assertThat(span.getAttributes().get(AttributeKey.stringKey("messaging.message.id"))).isEqualTo(tick.id());
            assertThat(span.getAttributes().get(AttributeKey.booleanKey("orgmesh.heartbeat.duplicate"))).isFalse();

            Message stored = read(c, s, "a0");
            assertThat(stored.getHeaders().getFirst(HeaderNames.TRACEPARENT))
                    .as("the agent's handling of the tick continues the tick's span")
                    .isEqualTo("00-" + span.getTraceId() + "-" + span.getSpanId() + "-"
                            + span.getSpanContext().getTraceFlags().asHex());
            assertThat(stored.getHeaders().getFirst(HeaderNames.MSG_ID)).isEqualTo(tick.id());

            // OpenTelemetry off (the default): no span, and the header the agent would derive from the tick itself
            JetStreamTickSink plain = new JetStreamTickSink(c.jetStream(), c.jetStreamManagement(), s, "heartbeat");
            Tick untraced = new Tick("a1", new Slot("n-1", T0), "check in", false);
            plain.publishAsync(untraced).get();
            assertThat(read(c, s, "a1").getHeaders().getFirst(HeaderNames.TRACEPARENT))
                    .isEqualTo(TraceContext.traceparent(null, untraced.id(), untraced.id()));
            assertThat(spans.getFinishedSpanItems()).hasSize(1);
        }
    }

    private static Message read(Connection c, Subjects s, String agent) throws Exception {
        JetStreamSubscription sub = c.jetStream().subscribe(s.heartbeat(agent),
                PullSubscribeOptions.bind(s.heartbeatStream(), Subjects.heartbeatConsumer(agent)));
        Message m = sub.fetch(1, Duration.ofSeconds(5)).getFirst();
        m.ack();
        return m;
    }
}
