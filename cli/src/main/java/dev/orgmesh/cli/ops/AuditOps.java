package dev.orgmesh.cli.ops;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.MessageInfo;

import dev.orgmesh.messaging.ops.StreamReader;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.envelope.Envelope;
import dev.orgmesh.protocol.envelope.EnvelopeCodec;

/**
 * {@code orgmesh audit --thread ID}: one piece of work across every agent, in the order the hub first stored each
 * message. A message belongs to the thread when its {@code thread} or {@code id} is the thread id, or it answers
 * ({@code re}) a message in the thread.
 *
 * <p>
 * The audit stream stores DMs, tasks and holds itself but copies channel messages, events and dead letters from their
 * own streams (ADR 0007), a moment later; so a copied message is placed by the time its original stream stored it
 * (named by its {@code Nats-Stream-Source} header), not by when the copy arrived.
 */
public final class AuditOps {
    /** One entry of a thread; {@code firstStored}: when the hub first stored it (the original, for a copy). */
    public record Entry(MessageInfo stored, Envelope envelope, Instant firstStored) {
    }

    private AuditOps() {
    }

    public static List<Entry> thread(JetStreamManagement jsm, Subjects s, String thread, int limit)
            throws IOException, JetStreamApiException {
        List<Entry> all = new ArrayList<>();
        for (MessageInfo mi : StreamReader.all(jsm, s.auditStream(), limit)) {
            try {
                all.add(new Entry(mi, EnvelopeCodec.decode(mi.getData()), null));
            } catch (RuntimeException bad) {
                // not an envelope: part of no thread
            }
        }
        // membership to a fixed point: an answer may sit before its question in the audit stream (see above)
        Set<String> ids = new HashSet<>();
        ids.add(thread);
        List<Entry> in = new ArrayList<>();
        Set<Entry> taken = new HashSet<>();
        for (boolean grew = true; grew;) {
            grew = false;
            for (Entry e : all) {
                Envelope env = e.envelope();
                if (!taken.contains(e) && (thread.equals(env.thread()) || thread.equals(env.id())
                        || (env.re() != null && ids.contains(env.re())))) {
                    taken.add(e);
                    in.add(e);
                    if (env.id() != null) {
                        grew |= ids.add(env.id());
                    }
                    grew = true;
                }
            }
        }
        List<Entry> out = new ArrayList<>();
        for (Entry e : in) {
            out.add(new Entry(e.stored(), e.envelope(), firstStored(jsm, e.stored())));
        }
        out.sort(Comparator.comparing(Entry::firstStored).thenComparing(e -> e.stored().getSeq()));
        return out;
    }

    /** When the original of {@code copy} was stored, or the copy's own time when it is no copy or the original is gone. */
    static Instant firstStored(JetStreamManagement jsm, MessageInfo copy) {
        Instant own = copy.getTime().toInstant();
        String source = copy.getHeaders() == null ? null : copy.getHeaders().getFirst(STREAM_SOURCE);
        if (source == null) {
            return own;
        }
        String[] parts = source.strip().split("\\s+");
        if (parts.length < 2) {
            return own;
        }
        try {
            String stream = parts[0].split(":")[0];
            Instant original = jsm.getMessage(stream, Long.parseLong(parts[1])).getTime().toInstant();
            return original.isBefore(own) ? original : own;
        } catch (IOException | JetStreamApiException | NumberFormatException e) {
            return own;
        }
    }

    /** The header the server puts on a message copied from another stream: {@code <stream> <sequence> …}. */
    static final String STREAM_SOURCE = "Nats-Stream-Source";
}
