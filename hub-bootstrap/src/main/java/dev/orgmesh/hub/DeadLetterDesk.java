package dev.orgmesh.hub;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

import org.jboss.logging.Logger;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import dev.orgmesh.assets.AssetLimits;
import dev.orgmesh.assets.OrgAssets;
import dev.orgmesh.hub.metrics.HubMetrics;
import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.messaging.flow.DeadLetter;
import dev.orgmesh.messaging.flow.DeadLetterMover;
import dev.orgmesh.messaging.flow.DeadLetters;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.envelope.Priority;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.protocol.org.Org;

/**
 * Moves what no agent settled. An agent whose brain fails a message on its last delivery dead-letters it itself, with
 * the failure, and terminates it ({@code Diversions.giveUp} in agent-runtime), so the server never announces it. What
 * is left is a message whose deliveries all ran out without any answer — its agent died or hung on each — which the
 * server announces on the max-deliveries advisory. Agents' rendered permissions do not let them read or delete stored
 * messages (that would expose everyone's DMs, ADR 0001), so the hub-bootstrap service, which may, watches that
 * advisory for every consumer of the org, moves the message to {@code {co}.dlq.*} and tells the manager of its true
 * sender (or the sender, when a human). Each dead letter thus has one mover: the agent that gave up on it, or this
 * desk.
 */
public final class DeadLetterDesk implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DeadLetterDesk.class);

    private final DeadLetterMover mover;

    private DeadLetterDesk(DeadLetterMover mover) {
        this.mover = mover;
    }

    /** Starts watching every durable consumer of {@code org}. */
    public static DeadLetterDesk start(Connection c, NatsSettings settings, Org org, Executor executor)
            throws IOException {
        return start(c, settings, org, executor, HubMetrics.NONE);
    }

    /** As {@link #start(Connection, NatsSettings, Org, Executor)}, counting escalations in {@code metrics}. */
    public static DeadLetterDesk start(Connection c, NatsSettings settings, Org org, Executor executor,
            HubMetrics metrics) throws IOException {
        var jso = NatsConnector.jetStreamOptions(settings);
        JetStream js = c.jetStream(jso);
        DeadLetters letters = new DeadLetters(js, c.jetStreamManagement(jso), org.subjects(), Duration.ofSeconds(5),
                Subjects.HUB_SENDER);
        List<DeadLetterMover.Watched> watched = new ArrayList<>();
        OrgAssets.of(org, AssetLimits.defaults()).consumers().forEach((stream, list) -> {
            for (ConsumerConfiguration cc : list) {
                watched.add(new DeadLetterMover.Watched(stream, cc.getDurable()));
            }
        });
        DeadLetterMover mover = DeadLetterMover.start(c, letters, watched, (s, q) -> null,
                dl -> tell(js, org, dl, metrics),
                executor);
        LOG.infof("watching %d consumers of %s for dead letters", watched.size(), org.company());
        return new DeadLetterDesk(mover);
    }

    /** The escalation for a dead letter this process moved first. */
    static Envelope escalation(Org org, DeadLetter dl) {
        Envelope original = null;
        try {
            original = EnvelopeCodec.decode(dl.body());
        } catch (RuntimeException e) {
            // undecodable: the escalation still goes out, without the envelope's fields
        }
        // the true sender: the sender token of the subject the server stored it under (ADR 0010), not the envelope's
        // claim, which may name anyone
        String sender = org.subjects().attribution(dl.subject()).map(Subjects.Attribution::sender)
                .orElse(original == null ? null : original.from());
        String to = sender == null
                ? null
                : org.member(sender).map(m -> m.isHuman() ? m.id() : org.manager(m.id()).map(Member::id).orElse(m.id()))
                        .orElse(null);
        if (to == null) {
            to = org.humans().isEmpty() ? null : org.humans().getFirst().id();
        }
        String text = ErrorCode.DEAD_LETTERED.label() + " DEAD_LETTERED: message "
                + (original != null && original.id() != null ? original.id() : dl.msgId()) + " on " + dl.subject()
                + " was dead-lettered: " + dl.reason();
        Envelope.Builder b = original != null
                ? original.escalation(Subjects.HUB_SENDER, to, text, EnvelopeCodec.toTree(original))
                : Envelope.builder().from(Subjects.HUB_SENDER).to(to).type("escalation").priority(Priority.HIGH)
                        .subject("Escalation: DEAD_LETTERED").context(text).ts(Instant.now());
        return b.id("esc-" + dl.msgId()).build();
    }

    private static void tell(JetStream js, Org org, DeadLetter dl, HubMetrics metrics) {
        Envelope esc = escalation(org, dl);
        if (esc.to() == null) {
            metrics.deadLetterEscalated("nobody");
            LOG.warnf("dead letter %s moved; nobody to tell (no sender, no human in the org)", dl.msgId());
            return;
        }
        Headers h = new Headers();
        h.put(HeaderNames.MSG_ID, esc.id());
        try {
            js.publish(NatsMessage.builder().subject(org.subjects().dm(esc.to(), Subjects.HUB_SENDER)).headers(h)
                    .data(EnvelopeCodec.encode(esc)).build());
            metrics.deadLetterEscalated("told");
            LOG.infof("%s dead letter %s moved; %s told", ErrorCode.DEAD_LETTERED.label(), dl.msgId(), esc.to());
        } catch (IOException | JetStreamApiException e) {
            metrics.deadLetterEscalated("failed");
            LOG.warnf("%s dead letter %s moved but %s not told: %s", ErrorCode.DEAD_LETTERED.label(), dl.msgId(),
                    esc.to(), e.toString());
        }
    }

    @Override
    public void close() {
        mover.close();
    }
}
