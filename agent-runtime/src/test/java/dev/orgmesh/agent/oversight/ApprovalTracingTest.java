package dev.orgmesh.agent.oversight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.PublishOptions;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.StorageType;
import io.nats.client.impl.Headers;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.boot.AgentSoul;
import dev.orgmesh.agent.brain.Handler;
import dev.orgmesh.agent.runtime.AgentRuntime;
import dev.orgmesh.hub.metrics.HubMetrics;
import dev.orgmesh.hub.oversight.ApprovalDesk;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.Replies;
import dev.orgmesh.protocol.Approval;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.TraceContext;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.HubTopology;
import dev.orgmesh.testkit.Leaves;
import dev.orgmesh.testkit.NatsTest;

/**
 * OpenTelemetry across the approval desk (hub-bootstrap), through a hub and a leaf: the desk's span of recording a hold
 * continues the held DM's traceparent, the record keeps the trace, the decision is a span in it, and the released DM
 * carries a traceparent that makes the recipient's handling a child of the decision: one trace from the sender to the
 * brain however long the message waited for a human.
 */
@NatsTest
@Leaves(1)
class ApprovalTracingTest {
    static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    static final String PARENT = "00f067aa0ba902b7";

    @Test
    void aHeldDmsHoldDecisionAndReleaseStayInItsTrace(HubTopology topology) throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        Org org = OrgLoader.parse(ApprovalGateTest.ORG.formatted(Fixture.randomCompany()), "test");
        try (Fixture f = Fixture.start(topology.hub(), org, StorageType.Memory);
                ApprovalDesk desk = ApprovalDesk.start(f.hubClient, NatsSettings.of(topology.hub().clientUrl()),
                        () -> org, Clock.systemUTC(), Duration.ofMillis(100), HubMetrics.NONE, otel);
                Connection c = Fixture.leafClient(topology.leaf(0), "agent-dev1")) {
            ApprovalGateTest.Handled handled = new ApprovalGateTest.Handled();
            AgentRuntime dev1 = new AgentRuntime(c, Fixture.settings(topology.leaf(0), "agent-dev1"),
                    AgentSoul.of(org, "dev1", Optional.empty()), Handler.NOTHING, Fixture.options(),
                    new SimpleMeterRegistry(), handled, otel).start();
            try {
                await().atMost(Duration.ofSeconds(10)).until(dev1::isReady);
                Envelope deploy = ApprovalGateTest.task("d-traced", "deploy", "dev1");
                f.js.publish(f.attributed(f.subjects.dm("dev1"), "ceo"),
                        new Headers().put(HeaderNames.TRACEPARENT, "00-" + TRACE + "-" + PARENT + "-01"),
                        EnvelopeCodec.encode(deploy), PublishOptions.builder().messageId(deploy.id()).build());

                KeyValue approvals = f.hubClient.keyValue(org.subjects().approvalsBucket());
                String id = Approval.idFor("d-traced", "deploys");
                await().atMost(Duration.ofSeconds(10)).until(() -> approvals.get(id) != null);
                SpanData hold = awaitSpan(spans, "orgmesh.approval.hold", s -> true);
                assertThat(hold.getTraceId()).isEqualTo(TRACE);
                assertThat(hold.getParentSpanId()).as("the hold carries the held DM's traceparent").isEqualTo(PARENT);
                assertThat(hold.getKind()).isEqualTo(SpanKind.CONSUMER);
                assertThat(hold.getAttributes().get(AttributeKey.stringKey("orgmesh.approval.id"))).isEqualTo(id);
                assertThat(hold.getAttributes().get(AttributeKey.stringKey("orgmesh.outcome"))).isEqualTo("held");
                KeyValueEntry entry = approvals.get(id);
                assertThat(Approval.decode(entry.getValue()).traceparent()).as("the record keeps the trace")
                        .isEqualTo("00-" + TRACE + "-" + hold.getSpanId() + "-"
                                + hold.getSpanContext().getTraceFlags().asHex());
                assertThat(handled.count("d-traced")).as("held, not handled").isZero();

                Message reply = f.hubClient.request(f.subjects.humanApprove("board"),
                        new Approval.Decision(id, "board", null).encode(), Duration.ofSeconds(5));
                assertThat(Replies.isError(reply)).as(new String(reply.getData())).isFalse();
                SpanData decision = awaitSpan(spans, "orgmesh.approval.decision", s -> true);
                assertThat(decision.getTraceId()).isEqualTo(TRACE);
                assertThat(decision.getParentSpanId()).isEqualTo(hold.getSpanId());
                assertThat(decision.getAttributes().get(AttributeKey.stringKey("orgmesh.approval.status")))
                        .isEqualTo(Approval.APPROVED);
                assertThat(decision.getAttributes().get(AttributeKey.stringKey("orgmesh.approval.decided_by")))
                        .isEqualTo("board");

                // the released DM's traceparent names the decision: the recipient's handling joins the trace
                await().atMost(Duration.ofSeconds(10)).until(() -> handled.count("d-traced") == 1);
                SpanData released = awaitSpan(spans, "orgmesh.agent.handle",
                        s -> decision.getSpanId().equals(s.getParentSpanId()));
                assertThat(released.getTraceId()).isEqualTo(TRACE);
                assertThat(released.getAttributes().get(AttributeKey.stringKey("messaging.message.id")))
                        .isEqualTo("d-traced");
            } finally {
                dev1.close();
            }
        }
    }

    @Test
    void withTheDesksSdkOffTheReleasedDmStillContinuesTheHeldDmsTrace(HubTopology topology) throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        Org org = OrgLoader.parse(ApprovalGateTest.ORG.formatted(Fixture.randomCompany()), "test");
        // the desk as the service runs it by default (no collector); only the recipient records spans
        try (Fixture f = Fixture.start(topology.hub(), org, StorageType.Memory);
                ApprovalDesk desk = ApprovalDesk.start(f.hubClient, NatsSettings.of(topology.hub().clientUrl()),
                        () -> org, Clock.systemUTC(), Duration.ofMillis(100));
                Connection c = Fixture.leafClient(topology.leaf(0), "agent-dev1")) {
            ApprovalGateTest.Handled handled = new ApprovalGateTest.Handled();
            AgentRuntime dev1 = new AgentRuntime(c, Fixture.settings(topology.leaf(0), "agent-dev1"),
                    AgentSoul.of(org, "dev1", Optional.empty()), Handler.NOTHING, Fixture.options(),
                    new SimpleMeterRegistry(), handled, otel).start();
            try {
                await().atMost(Duration.ofSeconds(10)).until(dev1::isReady);
                Envelope deploy = ApprovalGateTest.task("d-plain", "deploy", "dev1");
                String original = "00-" + TRACE + "-" + PARENT + "-01";
                f.js.publish(f.attributed(f.subjects.dm("dev1"), "ceo"),
                        new Headers().put(HeaderNames.TRACEPARENT, original),
                        EnvelopeCodec.encode(deploy), PublishOptions.builder().messageId(deploy.id()).build());
                KeyValue approvals = f.hubClient.keyValue(org.subjects().approvalsBucket());
                String id = Approval.idFor("d-plain", "deploys");
                await().atMost(Duration.ofSeconds(10)).until(() -> approvals.get(id) != null);
                assertThat(Approval.decode(approvals.get(id).getValue()).traceparent())
                        .as("the held DM's own traceparent is kept").isEqualTo(original);

                Message reply = f.hubClient.request(f.subjects.humanApprove("board"),
                        new Approval.Decision(id, "board", null).encode(), Duration.ofSeconds(5));
                assertThat(Replies.isError(reply)).as(new String(reply.getData())).isFalse();
                await().atMost(Duration.ofSeconds(10)).until(() -> handled.count("d-plain") == 1);
                // derived: the kept trace, a span id from the released message's id
                String derived = TraceContext.traceparent(original, "d-plain", id + ".released");
                SpanData released = awaitSpan(spans, "orgmesh.agent.handle",
                        s -> derived.contains("-" + s.getParentSpanId() + "-"));
                assertThat(released.getTraceId()).isEqualTo(TRACE);
            } finally {
                dev1.close();
            }
        }
    }

    /** The first finished span {@code name} that {@code which} accepts. */
    private static SpanData awaitSpan(InMemorySpanExporter spans, String name,
            Predicate<SpanData> which) {
        await().atMost(Duration.ofSeconds(10)).until(() -> first(spans.getFinishedSpanItems(), name, which) != null);
        return first(spans.getFinishedSpanItems(), name, which);
    }

    private static SpanData first(List<SpanData> finished, String name, Predicate<SpanData> which) {
        return finished.stream().filter(s -> s.getName().equals(name)).filter(which).findFirst().orElse(null);
    }
}
