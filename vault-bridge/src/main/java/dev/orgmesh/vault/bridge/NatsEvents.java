package dev.orgmesh.vault.bridge;

import java.time.Instant;
import java.util.TreeMap;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.nats.client.JetStream;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Ids;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;

/**
 * Publishes the bridge's audit as org events (envelopes of type {@code event}) with JetStream, so they are stored in
 * the events stream and copied to the audit stream:
 * <ul>
 * <li>{@code {co}.events.secret.accessed}: agent, names, {@code outcome} ({@code granted}/{@code denied}), the error
 * code when denied, the versions sent when granted;</li>
 * <li>{@code {co}.events.secret.rotated}: the secret's name and path, its new version and the agents that read it.
 * Its {@code Nats-Msg-Id} is derived from path and version, so several bridges noticing one change store one
 * event.</li>
 * </ul>
 * Publishing is asynchronous; a failure is logged (without values) and never fails the request.
 */
public final class NatsEvents implements AuditSink {
    /** Event type of an access. */
    public static final String ACCESSED = "secret.accessed";
    /** Event type of a changed value. */
    public static final String ROTATED = "secret.rotated";

    private static final Logger LOG = Logger.getLogger(NatsEvents.class);
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final JetStream js;
    private final Subjects subjects;
    private final String from;

    /** Events said by the bridge under its own sender name ({@link Subjects#VAULT_SENDER}, ADR 0010). */
    public NatsEvents(JetStream js, Subjects subjects) {
        this.js = js;
        this.subjects = subjects;
        this.from = Subjects.VAULT_SENDER;
    }

    @Override
    public void accessed(Access a) {
        ArrayNode names = F.arrayNode();
        a.names().forEach(names::add);
        Envelope.Builder e = Envelope.builder()
                .id("secret-accessed-" + Ids.next())
                .from(from)
                .to(a.agent())
                .type("event")
                .subject("secret access by " + a.agent() + ": " + (a.granted() ? "granted" : "denied"))
                .ts(Instant.now())
                .extra("event", F.textNode(ACCESSED))
                .extra("agent", F.textNode(a.agent()))
                .extra("names", names)
                .extra("outcome", F.textNode(a.granted() ? "granted" : "denied"));
        if (a.granted()) {
            ObjectNode versions = F.objectNode();
            new TreeMap<>(a.versions()).forEach(versions::put);
            e.extra("versions", versions);
        } else if (a.code() != null) {
            e.extra("code", F.numberNode(a.code().code()));
            e.extra("error", F.textNode(a.code().name()));
            e.context(a.reason());
        }
        if (a.nonce() != null) {
            e.extra("nonce", F.textNode(a.nonce()));
        }
        send(subjects.event(from, ACCESSED), e.build());
    }

    @Override
    public void rotated(Rotation r) {
        ArrayNode readers = F.arrayNode();
        r.readers().forEach(readers::add);
        Envelope e = Envelope.builder()
                .id("secret-rotated-" + r.path().toString().replace('/', '-') + "-v" + r.version())
                .from(from)
                .to(r.path().isCompany() ? "all" : r.path().agent())
                .type("event")
                .subject("secret " + r.path().name() + (r.version() == 0 ? " removed" : " rotated"))
                .ts(Instant.now())
                .extra("event", F.textNode(ROTATED))
                .extra("name", F.textNode(r.path().name()))
                .extra("path", F.textNode(r.path().toString()))
                .extra("version", F.numberNode(r.version()))
                .extra("agents", (JsonNode) readers)
                .build();
        send(subjects.event(from, ROTATED), e);
    }

    private void send(String subject, Envelope e) {
        Headers h = new Headers();
        h.put(HeaderNames.MSG_ID, e.id());
        try {
            js.publishAsync(NatsMessage.builder().subject(subject).headers(h).data(EnvelopeCodec.encode(e)).build())
                    .whenComplete((ack, ex) -> {
                        if (ex != null) {
                            LOG.warnf("OM-6004 audit event %s on %s not stored: %s", e.id(), subject,
                                    ex.getClass().getSimpleName());
                        }
                    });
        } catch (RuntimeException ex) {
            LOG.warnf("OM-6004 audit event %s on %s not sent: %s", e.id(), subject, ex.getClass().getSimpleName());
        }
    }
}
