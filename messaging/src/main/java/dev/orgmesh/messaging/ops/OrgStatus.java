package dev.orgmesh.messaging.ops;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueOptions;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.MessageInfo;

import dev.orgmesh.messaging.NatsConnector;
import dev.orgmesh.messaging.NatsSettings;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.Presence;
import dev.orgmesh.protocol.Presence.Liveness;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Member;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.Schedule;
import dev.orgmesh.protocol.org.Slot;

/**
 * What {@code orgmesh status} shows: every member, its presence (from the presence bucket, judged by
 * {@link Presence#liveness}, the rule the heartbeat service pages on), its last heartbeat (the last tick stored) and
 * its next one (computed from its {@link Schedule}). A read-only operator view over the org's buckets and streams.
 */
public final class OrgStatus {
    /**
     * One member's line.
     *
     * @param member the member
     * @param presence up, down or unknown
     * @param lastSeen its last presence beacon
     * @param lastHeartbeat the slot of its last stored tick
     * @param nextHeartbeat its next slot; empty when heartbeats are off (and for humans)
     */
    public record Row(Member member, Liveness presence, Optional<Instant> lastSeen,
            Optional<Instant> lastHeartbeat, Optional<Instant> nextHeartbeat) {
    }

    private OrgStatus() {
    }

    /** Reads the status of every member of {@code org} at {@code now}. */
    public static List<Row> read(Connection c, NatsSettings settings, Org org, Instant now) {
        Subjects s = org.subjects();
        try {
            var jso = NatsConnector.jetStreamOptions(settings);
            JetStreamManagement jsm = c.jetStreamManagement(jso);
            KeyValue presence = c.keyValue(s.presenceBucket(), KeyValueOptions.builder().jetStreamOptions(jso).build());
            List<Row> rows = new ArrayList<>();
            for (Member m : org.members()) {
                Optional<Presence> beacon = beacon(presence, m.id());
                Liveness state = beacon.map(p -> p.liveness(now)).orElse(Liveness.UNKNOWN);
                Optional<Instant> last = Optional.empty();
                Optional<Instant> next = Optional.empty();
                if (m instanceof Agent a) {
                    last = lastTick(jsm, s, a.id());
                    next = new Schedule(a.heartbeat()).next(now).map(Slot::at);
                }
                rows.add(new Row(m, state, beacon.map(Presence::ts), last, next));
            }
            return rows;
        } catch (IOException e) {
            throw new OrgmeshException(ErrorCode.NATS_UNAVAILABLE,
                    "JetStream unavailable at " + settings.url() + ": " + e.getMessage(), e);
        }
    }

    private static Optional<Presence> beacon(KeyValue kv, String member) {
        try {
            KeyValueEntry e = kv.get(member);
            return e == null || e.getValue() == null ? Optional.empty() : Optional.of(Presence.decode(e.getValue()));
        } catch (IOException | JetStreamApiException | OrgmeshException e) {
            return Optional.empty();
        }
    }

    private static Optional<Instant> lastTick(JetStreamManagement jsm, Subjects s, String agent) {
        try {
            MessageInfo mi = jsm.getLastMessage(s.heartbeatStream(), s.heartbeat(agent));
            return Optional.ofNullable(EnvelopeCodec.decode(mi.getData()).ts());
        } catch (IOException | JetStreamApiException | OrgmeshException e) {
            return Optional.empty();
        }
    }

    /** A short age such as {@code 4s ago} or {@code in 9m}. */
    public static String relative(Instant t, Instant now) {
        Duration d = Duration.between(now, t);
        boolean future = !d.isNegative();
        long sec = Math.abs(d.toSeconds());
        String amount = sec < 90
                ? sec + "s"
                : sec < 5400 ? (sec / 60) + "m" : sec < 172800 ? (sec / 3600) + "h" : (sec / 86400) + "d";
        return future ? "in " + amount : amount + " ago";
    }
}
