package dev.orgmesh.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PublishOptions;
import io.nats.client.api.StorageType;
import io.nats.client.impl.Headers;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.boot.AgentSoul;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.brain.Outcome;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.TraceContext;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * OpenTelemetry across a NATS hop: the span of handling a DM continues the traceparent the DM carried (or its thread's
 * trace), the brain call is its child, and the reply carries the handling span as its parent.
 */
@NatsTest
@Leaves(1)
class TracingTest {
    static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    static final String PARENT = "00f067aa0ba902b7";

    @Test
    void aHandledDmIsASpanOfItsTraceAndItsReplyContinuesIt(HubTopology topology) throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        Handler brain = (in, ctx) -> Outcome.reply(in.reply("cto", "answer").subject("re: " + in.subject()).build());
        try (Fixture f = Fixture.start(topology, StorageType.Memory);
                Connection c = Fixture.leafClient(topology.leaf(0), "agent-cto")) {
            AgentRuntime cto = new AgentRuntime(c, Fixture.settings(topology.leaf(0), "agent-cto"),
                    AgentSoul.of(f.org, "cto", Optional.empty()), brain, Fixture.options(), new SimpleMeterRegistry(),
                    null, otel).start();
            try {
                await().atMost(Duration.ofSeconds(10)).until(cto::isReady);
                JetStreamSubscription ceoInbox = f.bind(f.subjects.inboxStream(), Subjects.inboxConsumer("ceo"));

                // a DM that carries a traceparent: its handling continues that trace, under that parent
                Envelope traced = Fixture.envelope("ceo", "cto", "question").id("q-traced").subject("status?").build();
                f.js.publish(f.attributed(f.subjects.dm("cto"), "ceo"),
                        new Headers().put(HeaderNames.TRACEPARENT, "00-" + TRACE + "-" + PARENT + "-01"),
                        EnvelopeCodec.encode(traced), PublishOptions.builder().messageId(traced.id()).build());
                SpanData handled = awaitSpan(spans, "orgmesh.agent.handle", "q-traced");
                assertThat(handled.getTraceId()).isEqualTo(TRACE);
                assertThat(handled.getParentSpanId()).isEqualTo(PARENT);
                assertThat(handled.getKind()).isEqualTo(SpanKind.CONSUMER);
                assertThat(handled.getAttributes().asMap().toString()).contains("orgmesh.agent=cto")
                        .contains("orgmesh.source=dm").contains("orgmesh.from=ceo");
                SpanData brainCall = awaitSpan(spans, "orgmesh.agent.brain", null);
                assertThat(brainCall.getTraceId()).isEqualTo(TRACE);
                assertThat(brainCall.getParentSpanId()).isEqualTo(handled.getSpanId());
                SpanData store = awaitSpan(spans, "orgmesh.agent.store", null);
                assertThat(store.getTraceId()).isEqualTo(TRACE);
                assertThat(store.getParentSpanId()).as("storing what the brain sent is a stage of the handling")
                        .isEqualTo(handled.getSpanId());
                assertThat(store.getAttributes().asMap().toString()).contains("messaging.batch.message_count=1");

                Message reply = ceoInbox.fetch(1, Duration.ofSeconds(5)).getFirst();
                assertThat(EnvelopeCodec.decode(reply.getData()).re()).isEqualTo("q-traced");
                assertThat(reply.getHeaders().getFirst(HeaderNames.TRACEPARENT))
                        .isEqualTo("00-" + TRACE + "-" + handled.getSpanId() + "-01");
                reply.ack();

                // a DM without one (a shell nats pub) joins its thread's trace
                Envelope bare = Fixture.envelope("ceo", "cto", "question").id("q-bare").thread("t-migration")
                        .subject("plan?").build();
                f.publish(f.subjects.dm("cto"), bare);
                SpanData joined = awaitSpan(spans, "orgmesh.agent.handle", "q-bare");
                assertThat(joined.getTraceId())
                        .isEqualTo(TraceContext.traceId(TraceContext.traceparent(null, "t-migration", "q-bare")));
            } finally {
                cto.close();
            }
        }
    }

    /** The finished span {@code name}, of message {@code id} when given. */
    private static SpanData awaitSpan(InMemorySpanExporter spans, String name, String id) {
        await().atMost(Duration.ofSeconds(10)).until(() -> find(spans.getFinishedSpanItems(), name, id) != null);
        return find(spans.getFinishedSpanItems(), name, id);
    }

    private static SpanData find(List<SpanData> finished, String name, String id) {
        return finished.stream().filter(s -> s.getName().equals(name))
                .filter(s -> id == null || id.equals(s.getAttributes().asMap().entrySet().stream()
                        .filter(e -> e.getKey().getKey().equals("messaging.message.id")).map(e -> e.getValue())
                        .findFirst().orElse(null)))
                .reduce((a, b) -> b).orElse(null);
    }
}
