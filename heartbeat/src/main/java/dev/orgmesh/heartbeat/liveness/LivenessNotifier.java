package dev.orgmesh.heartbeat.liveness;

import java.io.IOException;
import java.time.Instant;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import dev.orgmesh.protocol.HeaderNames;
import dev.orgmesh.protocol.Presence.Liveness;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.envelope.Priority;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.protocol.org.Org;

/**
 * Publishes liveness changes: {@code {co}.events.agent.down} / {@code agent.up}, and for a down agent an escalation
 * DM to its manager. Ids are derived from the agent and the deciding beacon, so several heartbeat instances that
 * see the same change produce one event and one escalation (JetStream de-duplication by {@code Nats-Msg-Id}).
 */
public final class LivenessNotifier {
    private static final Logger LOG = Logger.getLogger(LivenessNotifier.class);

    private final JetStream js;
    private final String from;

    public LivenessNotifier(JetStream js, String from) {
        this.js = js;
        this.from = from;
    }

    /** Publishes the event (and escalation) of one transition. */
    public void publish(Org org, LivenessTracker.Transition t) {
        Subjects s = org.subjects();
        long seen = t.lastSeen().toEpochMilli();
        boolean down = t.to() == Liveness.DOWN;
        String type = down ? "agent.down" : "agent.up";
        Envelope event = Envelope.builder()
                .id((down ? "down-" : "up-") + t.agent() + "-" + seen)
                .from(from)
                .to("all")
                .type("event")
                .subject(t.agent() + (down ? " is down" : " is up"))
                .context(down ? "no presence beacon since " + t.lastSeen() : "presence beacon at " + t.lastSeen())
                .ts(Instant.now())
                .extra("event", JsonNodeFactory.instance.textNode(type))
                .extra("agent", JsonNodeFactory.instance.textNode(t.agent()))
                .extra("last_seen", JsonNodeFactory.instance.textNode(t.lastSeen().toString()))
                .build();
        send(s.event(from, type), event);
        if (down) {
            Member manager = org.manager(t.agent()).orElse(null);
            if (manager != null) {
                Envelope escalation = Envelope.builder()
                        .id("esc-down-" + t.agent() + "-" + seen)
                        .from(from)
                        .to(manager.id())
                        .type("escalation")
                        .priority(Priority.HIGH)
                        .subject("Escalation: " + t.agent() + " is down")
                        .context(t.agent() + " has sent no presence beacon since " + t.lastSeen()
                                + "; its work is not being done. Check its machine or reassign its tasks.")
                        .re(event.id())
                        .thread(event.id())
                        .ts(Instant.now())
                        .extra("agent", JsonNodeFactory.instance.textNode(t.agent()))
                        .build();
                send(s.dm(manager.id(), from), escalation);
            }
        }
        LOG.infof("%s %s (last beacon %s)", t.agent(), down ? "down" : "up", t.lastSeen());
    }

    private void send(String subject, Envelope e) {
        Headers h = new Headers();
        h.put(HeaderNames.MSG_ID, e.id());
        try {
            js.publish(NatsMessage.builder().subject(subject).headers(h).data(EnvelopeCodec.encode(e)).build());
        } catch (IOException | JetStreamApiException ex) {
            LOG.warnf("OM-5001 could not publish %s to %s: %s", e.id(), subject, ex.toString());
        }
    }
}
