package dev.orgmesh.vault.bridge;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

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

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.vault.crypto.Hpke;
import dev.orgmesh.vault.crypto.ReplayGuard;
import dev.orgmesh.vault.crypto.Signatures;
import dev.orgmesh.vault.keys.AgentKeys;
import dev.orgmesh.vault.policy.SecretPolicy;
import dev.orgmesh.vault.store.SecretBackend;
import dev.orgmesh.vault.store.SecretPath;
import dev.orgmesh.vault.store.SecretValue;
import dev.orgmesh.vault.wire.SealedSecrets;
import dev.orgmesh.vault.wire.SecretReply;
import dev.orgmesh.vault.wire.SecretRequest;
import dev.orgmesh.vault.wire.WireCodec;

/**
 * The bridge's one domain operation: answer a secret request. Plain Java, no NATS: the responder hands it the
 * subject, reply subject, headers and body and sends back what it returns (or the error it throws).
 *
 * <p>In order, each failure an {@link OrgmeshException} with its catalogue code:
 * <ol>
 * <li>the subject is {@code {co}.vault.<agent>.get} and the body is at most {@link WireCodec#MAX_REQUEST_BYTES}
 * ({@code VAULT_BAD_REQUEST});</li>
 * <li>the body is signed by the agent's NKey as {@link AgentKeys} knows it ({@code VAULT_BAD_SIGNATURE});</li>
 * <li>the signed body is a valid request for the same agent and reply subject ({@code VAULT_BAD_REQUEST},
 * {@code VAULT_DENIED});</li>
 * <li>its time is within the skew and its nonce is new ({@code VAULT_REPLAY});</li>
 * <li>the org lets the agent read every name ({@code VAULT_DENIED});</li>
 * <li>every name resolves in the backend ({@code VAULT_NOT_FOUND}, {@code VAULT_BACKEND_UNAVAILABLE});</li>
 * <li>the values are sealed with HPKE to the request's key and bound to it.</li>
 * </ol>
 * Every outcome is reported to the {@link AuditSink}; nothing here logs or returns a value in the clear.
 *
 * <p>Every request answered is an OpenTelemetry span {@code orgmesh.vault.get} (SERVER), continuing the request's
 * {@code traceparent} header when it has one, with the agent, the secret names (never a value) and the outcome
 * ({@code ok} or the error's {@code OM-} label). With OpenTelemetry off (the default) the span is a no-op.
 */
public final class SecretService {
    private static final Logger LOG = Logger.getLogger(SecretService.class);
    private static final AttributeKey<String> AGENT = AttributeKey.stringKey("orgmesh.agent");
    private static final AttributeKey<List<String>> NAMES = AttributeKey.stringArrayKey("orgmesh.secret.names");
    private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("orgmesh.outcome");
    private static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    /** What the outcome attribute says of a request answered with its secrets. */
    public static final String OK = "ok";
    /** Reads a request's headers for the W3C propagator. */
    private static final TextMapGetter<Headers> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Headers carrier, String key) {
            return carrier == null ? null : carrier.getFirst(key);
        }
    };

    private final Subjects subjects;
    private final Supplier<SecretPolicy> policy;
    private final AgentKeys keys;
    private final SecretBackend backend;
    private final ReplayGuard replay;
    private final AuditSink audit;
    private volatile VaultMetrics metrics = VaultMetrics.NONE;
    private volatile Tracer tracer = OpenTelemetry.noop().getTracer("dev.orgmesh.vault");

    public SecretService(Subjects subjects, Supplier<SecretPolicy> policy, AgentKeys keys, SecretBackend backend,
            ReplayGuard replay, AuditSink audit) {
        this.subjects = subjects;
        this.policy = policy;
        this.keys = keys;
        this.backend = backend;
        this.replay = replay;
        this.audit = audit;
    }

    /** Counts served and refused requests and seal time in {@code m}. */
    public SecretService metrics(VaultMetrics m) {
        this.metrics = m;
        return this;
    }

    /** Records a span per request answered in {@code otel} ({@code orgmesh.vault.get}). */
    public SecretService tracing(OpenTelemetry otel) {
        this.tracer = otel.getTracer("dev.orgmesh.vault");
        return this;
    }

    /** The subject pattern the responder subscribes to: {@code {co}.vault.*.get}. */
    public String subscription() {
        return subjects.company() + ".vault.*.get";
    }

    /**
     * Answers one request; returns the reply body (a {@link SecretReply}) or throws the error to reply with.
     *
     * @param subject the subject the request arrived on
     * @param replyTo its reply subject
     * @param headers its headers, possibly {@code null}
     * @param body its body, possibly {@code null}
     */
    public byte[] handle(String subject, String replyTo, Headers headers, byte[] body) {
        Context parent = headers == null
                ? Context.root()
                : W3CTraceContextPropagator.getInstance().extract(Context.root(), headers, HEADERS);
        Span span = tracer.spanBuilder("orgmesh.vault.get").setParent(parent).setSpanKind(SpanKind.SERVER)
                .setAttribute(DESTINATION, String.valueOf(subject)).startSpan();
        try {
            byte[] reply = answer(subject, replyTo, headers, body, span);
            span.setAttribute(OUTCOME, OK);
            return reply;
        } catch (OrgmeshException e) {
            span.setAttribute(OUTCOME, e.code().label());
            span.setStatus(StatusCode.ERROR, e.code().label());
            throw e;
        } catch (RuntimeException e) {
            // the responder answers a bug as the backend being unavailable; its message may not be safe to record
            span.setAttribute(OUTCOME, ErrorCode.VAULT_BACKEND_UNAVAILABLE.label());
            span.setStatus(StatusCode.ERROR, e.getClass().getName());
            throw e;
        } finally {
            span.end();
        }
    }

    private byte[] answer(String subject, String replyTo, Headers headers, byte[] body, Span span) {
        String agent = agentOf(subject);
        span.setAttribute(AGENT, agent);
        SecretRequest request = null;
        try {
            request = verify(agent, replyTo, headers, body);
            span.setAttribute(NAMES, request.names());
            replay.check(agent, request.nonce(), request.ts());
            SecretPolicy p = policy.get();
            if (p == null) {
                throw new OrgmeshException(ErrorCode.VAULT_BACKEND_UNAVAILABLE, "the bridge has no org loaded yet");
            }
            p.check(agent, request.names());
            List<SecretValue> values = read(agent, request.names());
            long sealStart = System.nanoTime();
            byte[] reply = seal(request, body, values);
            metrics.sealed(Duration.ofNanos(System.nanoTime() - sealStart));
            Map<String, Integer> versions = new LinkedHashMap<>();
            for (int i = 0; i < values.size(); i++) {
                versions.put(request.names().get(i), values.get(i).version());
            }
            audit.accessed(new AuditSink.Access(agent, request.names(), true, null, null, versions, request
                    .nonce()));
            metrics.served();
            return reply;
        } catch (OrgmeshException e) {
            List<String> names = request == null ? List.of() : request.names();
            audit.accessed(new AuditSink.Access(agent, names, false, e.code(), e.getMessage(),
                    null, request == null ? null : request.nonce()));
            metrics.refused(e.code());
            LOG.infof("%s secret request on %s refused: %s", e.code().label(), subject, e.getMessage());
            throw e;
        }
    }

    /** The agent of a vault subject, or a {@code VAULT_BAD_REQUEST}. */
    String agentOf(String subject) {
        String prefix = subjects.company() + ".vault.";
        if (subject == null || !subject.startsWith(prefix) || !subject.endsWith(".get")) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST, "not a vault subject: " + subject);
        }
        String agent = subject.substring(prefix.length(), subject.length() - ".get".length());
        if (!Subjects.SAFE_TOKEN.matcher(agent).matches()) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST, "not a vault subject: " + subject);
        }
        return agent;
    }

    private SecretRequest verify(String agent, String replyTo, Headers headers, byte[] body) {
        if (body == null || body.length == 0) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST, "empty secret request from " + agent);
        }
        if (body.length > WireCodec.MAX_REQUEST_BYTES) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST, "request of " + body.length
                    + " bytes exceeds the limit of " + WireCodec.MAX_REQUEST_BYTES);
        }
        String signature = headers == null ? null : headers.getFirst(HeaderNames.SIGNATURE);
        String signer = headers == null ? null : headers.getFirst(HeaderNames.SIGNER);
        if (signature == null || signer == null) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_SIGNATURE, "unsigned secret request on " + agent
                    + "'s subject: headers " + HeaderNames.SIGNATURE + " and " + HeaderNames.SIGNER + " are required");
        }
        Optional<String> known = keys.publicKey(agent);
        if (known.isEmpty()) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_SIGNATURE, "no public key is known for agent " + agent);
        }
        if (!known.get().equals(signer)) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_SIGNATURE,
                    "request on " + agent + "'s subject is signed by " + signer + ", not by " + agent + "'s key");
        }
        if (!Signatures.verify(signer, body, signature)) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_SIGNATURE, "the signature of " + agent
                    + "'s request does not verify over its body");
        }
        SecretRequest request = WireCodec.decodeRequest(body);
        if (!request.agent().equals(agent)) {
            throw new OrgmeshException(ErrorCode.VAULT_DENIED,
                    "a request on " + agent + "'s subject asks for agent " + request.agent());
        }
        if (replyTo == null || !replyTo.equals(request.replyTo())) {
            throw new OrgmeshException(ErrorCode.VAULT_BAD_REQUEST,
                    "the message's reply subject is not the signed reply_to");
        }
        return request;
    }

    private List<SecretValue> read(String agent, List<String> names) {
        List<SecretValue> out = new ArrayList<>();
        try {
            for (String name : names) {
                SecretValue found = null;
                for (SecretPath candidate : SecretPolicy.candidates(agent, name)) {
                    Optional<SecretValue> v = backend.read(candidate);
                    if (v.isPresent()) {
                        found = v.get();
                        break;
                    }
                }
                if (found == null) {
                    throw new OrgmeshException(ErrorCode.VAULT_NOT_FOUND, "no value stored for " + name + " (looked in "
                            + SecretPath.agent(agent, name) + " and " + SecretPath.company(name) + ")");
                }
                out.add(found);
            }
            return out;
        } catch (RuntimeException e) {
            out.forEach(SecretValue::wipe);
            throw e;
        }
    }

    private byte[] seal(SecretRequest request, byte[] body, List<SecretValue> values) {
        List<SealedSecrets.Item> items = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            SecretValue v = values.get(i);
            items.add(new SealedSecrets.Item(request.names().get(i), v.path().toString(), v.version(), v.value()));
        }
        byte[] plaintext = WireCodec.encode(new SealedSecrets(items));
        try {
            Hpke.Sealed sealed = Hpke.seal(WireCodec.b64("reply_key", request.replyKey()),
                    Hpke.info(request.agent(), request.nonce()), Hpke.aad(body), plaintext);
            return WireCodec.encode(new SecretReply(SecretRequest.VERSION, request.agent(), request.nonce(),
                    Hpke.SUITE, WireCodec.b64(sealed.enc()), WireCodec.b64(sealed.ct())));
        } finally {
            Arrays.fill(plaintext, (byte) 0);
            values.forEach(SecretValue::wipe);
        }
    }

    /** For tests and logs: a short description of this service. */
    @Override
    public String toString() {
        return "SecretService[" + subscription() + ", backend " + backend.describe() + "]";
    }
}
