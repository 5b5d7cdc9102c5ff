package dev.orgmesh.vault.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.Subscription;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;

import dev.orgmesh.agent.secret.AgentSecrets;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.TraceContext;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.NatsServer;
import dev.orgmesh.testkit.NatsTest;
import dev.orgmesh.vault.client.VaultClient;
import dev.orgmesh.vault.crypto.ReplayGuard;
import dev.orgmesh.vault.crypto.Signatures;
import dev.orgmesh.vault.policy.SecretPolicy;
import dev.orgmesh.vault.store.EmbeddedStore;
import dev.orgmesh.vault.store.MasterKey;
import dev.orgmesh.vault.store.SecretPath;

/**
 * OpenTelemetry across the vault hop, on a real nats-server: the agent's fetch is a span ({@code orgmesh.agent.secrets})
 * whose traceparent goes out on the request, and the bridge's span of answering it ({@code orgmesh.vault.get}) continues
 * that header, naming the agent, the secret names (never a value) and the outcome code.
 */
@NatsTest
class VaultTracingTest {
    static final Org ORG = OrgLoader.load(Path.of("src/test/resources/orgs/acme-vault.yaml"));
    static final Subjects S = ORG.subjects();
    static final Duration WAIT = Duration.ofSeconds(10);
    static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    static final String PARENT = "00f067aa0ba902b7";

    @TempDir
    Path tmp;

    @Test
    void aSecretRequestIsASpanThatContinuesTheFetchersTrace(NatsServer server) throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        EmbeddedStore store = new EmbeddedStore(tmp.resolve("vault.store"),
                MasterKey.fromBase64(Base64.getEncoder().encodeToString(raw)));
        String token = "ghp_" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw).substring(0, 20);
        store.put(SecretPath.company("GITHUB_TOKEN"), token.getBytes(StandardCharsets.UTF_8));
        store.put(SecretPath.agent("alice", "DB_PASSWORD"), "db-secret-value".getBytes(StandardCharsets.UTF_8));
        NKey aliceKey = NKey.createUser(null);
        SecretPolicy policy = SecretPolicy.of(ORG);
        SecretService service = new SecretService(S, () -> policy,
                id -> "alice".equals(id) ? Optional.of(Signatures.publicKey(aliceKey)) : Optional.empty(), store,
                new ReplayGuard(Duration.ofSeconds(60), 1_000, InstantSource.system()), AuditSink.NONE)
                .tracing(otel);
        try (Connection bridge = Nats.connect(server.clientUrl());
                Connection alice = Nats.connect(server.clientUrl());
                Connection tap = Nats.connect(server.clientUrl());
                VaultResponder responder = new VaultResponder(bridge, service, 4).start(WAIT)) {
            Subscription requests = tap.subscribe(S.vaultGet("alice"));
            tap.flush(WAIT);

            // the runtime's fetch: its span's traceparent goes out, and the bridge's span is its child
            AgentSecrets secrets = new AgentSecrets(ORG.agent("alice").orElseThrow(), S, aliceKey, otel);
            assertThat(secrets.fetch(alice, WAIT)).isTrue();
            assertThat(secrets.current()).containsEntry("GITHUB_TOKEN", token);
            SpanData fetch = awaitSpan(spans, "orgmesh.agent.secrets");
            SpanData answered = awaitSpan(spans, "orgmesh.vault.get");
            assertThat(fetch.getKind()).isEqualTo(SpanKind.CLIENT);
            assertThat(answered.getKind()).isEqualTo(SpanKind.SERVER);
            assertThat(answered.getTraceId()).isEqualTo(fetch.getTraceId());
            assertThat(answered.getParentSpanId()).isEqualTo(fetch.getSpanId());
            assertThat(answered.getAttributes().get(AttributeKey.stringKey("orgmesh.agent"))).isEqualTo("alice");
            assertThat(answered.getAttributes().get(AttributeKey.stringArrayKey("orgmesh.secret.names")))
                    .containsExactly("GITHUB_TOKEN", "DB_PASSWORD");
            assertThat(answered.getAttributes().get(AttributeKey.stringKey("orgmesh.outcome")))
                    .isEqualTo(SecretService.OK);
            assertThat(answered.getAttributes().asMap().toString()).as("names only, never a value")
                    .doesNotContain(token).doesNotContain("db-secret-value");
            Message sent = requests.nextMessage(WAIT);
            assertThat(sent.getHeaders().getFirst(HeaderNames.TRACEPARENT))
                    .isEqualTo("00-" + fetch.getTraceId() + "-" + fetch.getSpanId() + "-"
                            + fetch.getSpanContext().getTraceFlags().asHex());
            secrets.close();

            // a refused request with a traceparent of its own: the span continues it and carries the code
            VaultClient client = new VaultClient(S);
            assertThatThrownBy(() -> client.fetch(alice, "alice", aliceKey, List.of("FLY_API_TOKEN"), WAIT,
                    "00-" + TRACE + "-" + PARENT + "-01"))
                    .isInstanceOf(OrgmeshException.class);
            await().atMost(WAIT).until(() -> spans.getFinishedSpanItems().stream()
                    .anyMatch(s -> s.getName().equals("orgmesh.vault.get") && s.getTraceId().equals(TRACE)));
            SpanData refused = spans.getFinishedSpanItems().stream()
                    .filter(s -> s.getName().equals("orgmesh.vault.get") && s.getTraceId().equals(TRACE))
                    .findFirst().orElseThrow();
            assertThat(refused.getParentSpanId()).isEqualTo(PARENT);
            assertThat(refused.getAttributes().get(AttributeKey.stringKey("orgmesh.outcome")))
                    .isEqualTo(ErrorCode.VAULT_DENIED.label());
            assertThat(refused.getAttributes().get(AttributeKey.stringArrayKey("orgmesh.secret.names")))
                    .containsExactly("FLY_API_TOKEN");
            requests.nextMessage(WAIT);

            // OpenTelemetry off: no span, and still a valid traceparent (a fresh trace per fetch)
            int before = spans.getFinishedSpanItems().size();
            AgentSecrets plain = new AgentSecrets(ORG.agent("alice").orElseThrow(), S, aliceKey);
            assertThat(plain.fetch(alice, WAIT)).isTrue();
            String header = requests.nextMessage(WAIT).getHeaders().getFirst(HeaderNames.TRACEPARENT);
            assertThat(TraceContext.traceId(header)).isNotNull().isNotEqualTo(fetch.getTraceId());
            await().atMost(WAIT).until(() -> spans.getFinishedSpanItems().size() == before + 1);
            assertThat(spans.getFinishedSpanItems().getLast().getName()).as("only the bridge's span")
                    .isEqualTo("orgmesh.vault.get");
            assertThat(spans.getFinishedSpanItems().getLast().getTraceId()).isEqualTo(TraceContext.traceId(header));
            plain.close();
        }
    }

    private static SpanData awaitSpan(InMemorySpanExporter spans, String name) {
        await().atMost(WAIT).until(() -> spans.getFinishedSpanItems().stream().anyMatch(s -> s.getName().equals(name)));
        return spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).findFirst().orElseThrow();
    }
}
