package dev.orgmesh.agent.secret;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.NKey;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.TraceContext;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.vault.client.SecretScrubber;
import dev.orgmesh.vault.client.VaultClient;

/**
 * The agent's secrets, injected (vault-bridge/README.md): fetched from the vault bridge at boot with a request signed
 * by the agent's NKey, kept in memory only, handed to the brain's process environment ({@link #current()}), fetched
 * again when {@code {co}.events.secret.rotated} names one of them, and scrubbed from everything the agent sends and
 * logs ({@link #scrub}). Nothing is written to disk.
 *
 * <p>Each fetch sends a W3C {@code traceparent} starting a trace of its own: with OpenTelemetry on, the one of its span
 * {@code orgmesh.agent.secrets} (CLIENT, with the agent and the secret names), which the bridge's
 * {@code orgmesh.vault.get} continues; with it off, a fresh one derived by {@link TraceContext}.
 */
public final class AgentSecrets {
    private static final Logger LOG = Logger.getLogger(AgentSecrets.class);
    private static final AttributeKey<String> AGENT = AttributeKey.stringKey("orgmesh.agent");
    private static final AttributeKey<List<String>> NAMES = AttributeKey.stringArrayKey("orgmesh.secret.names");

    private final Agent agent;
    private final Subjects subjects;
    private final NKey signingKey;
    private final VaultClient client;
    private final SecretScrubber scrubber = new SecretScrubber();
    private final AtomicLong fetches = new AtomicLong();
    private volatile Map<String, String> values = Map.of();
    private volatile Dispatcher rotations;
    private volatile Connection rotationConnection;
    private final Tracer tracer;

    public AgentSecrets(Agent agent, Subjects subjects, NKey signingKey) {
        this(agent, subjects, signingKey, OpenTelemetry.noop());
    }

    /** As {@link #AgentSecrets(Agent, Subjects, NKey)}, recording a span per fetch in {@code otel}. */
    public AgentSecrets(Agent agent, Subjects subjects, NKey signingKey, OpenTelemetry otel) {
        this.agent = agent;
        this.subjects = subjects;
        this.signingKey = signingKey;
        this.client = new VaultClient(subjects);
        this.tracer = otel.getTracer("dev.orgmesh.agent");
    }

    /** The names the soul lists. */
    public List<String> names() {
        return agent.secrets();
    }

    /** The values by name as of now (empty until fetched); only the brain's environment gets them. */
    public Map<String, String> current() {
        return values;
    }

    /** How many fetches succeeded (boot + rotations). */
    public long fetches() {
        return fetches.get();
    }

    /**
     * Fetches every listed secret, retrying until {@code patience} is spent while no bridge answers. A refusal by
     * policy or a missing secret is not retried: it is logged with its code and the agent runs without them.
     */
    public boolean fetch(Connection connection, Duration patience) throws InterruptedException {
        if (names().isEmpty()) {
            return true;
        }
        long giveUp = System.nanoTime() + patience.toNanos();
        Duration pause = Duration.ofMillis(200);
        while (true) {
            Span span = tracer.spanBuilder("orgmesh.agent.secrets").setNoParent().setSpanKind(SpanKind.CLIENT)
                    .setAttribute(AGENT, agent.id()).setAttribute(NAMES, names()).startSpan();
            try {
                Map<String, byte[]> got;
                try {
                    got = client.fetch(connection, agent.id(), signingKey, names(), Duration.ofSeconds(5),
                            traceparent(span));
                } catch (OrgmeshException e) {
                    span.setStatus(StatusCode.ERROR, e.code().label());
                    throw e;
                } finally {
                    span.end();
                }
                Map<String, String> next = new LinkedHashMap<>();
                got.forEach((name, value) -> {
                    next.put(name, new String(value, StandardCharsets.UTF_8));
                    scrubber.add(name, value);
                    Arrays.fill(value, (byte) 0);
                });
                values = Map.copyOf(next);
                fetches.incrementAndGet();
                LOG.infof("%s holds %d secret(s) in memory: %s", agent.id(), next.size(), String.join(", ",
                        next.keySet()));
                return true;
            } catch (OrgmeshException e) {
                boolean retry = e.code() == ErrorCode.NO_RESPONDERS || e.code() == ErrorCode.REQUEST_TIMEOUT
                        || e.code() == ErrorCode.VAULT_BACKEND_UNAVAILABLE;
                if (!retry || System.nanoTime() > giveUp) {
                    LOG.errorf("%s %s could not fetch its secrets (%s): %s", e.code().label(), agent.id(),
                            String.join(", ", names()), e.getMessage());
                    return false;
                }
                Thread.sleep(pause);
                pause = pause.multipliedBy(2).compareTo(Duration.ofSeconds(5)) > 0
                        ? Duration.ofSeconds(5)
                        : pause.multipliedBy(2);
            }
        }
    }

    /** The traceparent of a fetch: its span's when recorded, else a fresh one (a trace per fetch). */
    private String traceparent(Span span) {
        SpanContext sc = span.getSpanContext();
        if (sc.isValid()) {
            return "00-" + sc.getTraceId() + "-" + sc.getSpanId() + "-" + sc.getTraceFlags().asHex();
        }
        return TraceContext.traceparent(null, null, agent.id() + "/" + UUID.randomUUID());
    }

    /** Fetches again whenever {@code secret.rotated} names one of this agent's secrets (the name only, never a value). */
    public void followRotations(Connection connection) {
        if (names().isEmpty()) {
            return;
        }
        Dispatcher d = connection.createDispatcher(msg -> {
            String name = rotatedName(msg.getData());
            if (name == null || names().contains(name)) {
                Thread.ofVirtual().name("secret-refetch").start(() -> {
                    try {
                        LOG.infof("%s refetches its secrets: %s was rotated", agent.id(), name);
                        fetch(connection, Duration.ofSeconds(30));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
        });
        // only the bridge's own notices: no member can make every agent refetch its secrets
        d.subscribe(subjects.event(Subjects.VAULT_SENDER, "secret.rotated"));
        rotations = d;
        rotationConnection = connection;
    }

    private static String rotatedName(byte[] body) {
        try {
            Envelope e = EnvelopeCodec.decode(body);
            if (e.extra().get("name") != null) {
                return e.extra().get("name").asText();
            }
            return e.subject() != null && e.subject().matches("[A-Za-z_][A-Za-z0-9_]*") ? e.subject() : null;
        } catch (RuntimeException ex) {
            return null;
        }
    }

    /** Text with every known value replaced by {@code [REDACTED:NAME]}. */
    public String scrub(String text) {
        return scrubber.scrub(text);
    }

    /** Bytes (an outgoing message) with every known value replaced. */
    public byte[] scrub(byte[] bytes) {
        return scrubber.scrub(bytes);
    }

    public void close() {
        Dispatcher d = rotations;
        if (d != null && rotationConnection != null) {
            rotationConnection.closeDispatcher(d);
        }
        values = Map.of();
        scrubber.clear();
    }
}
