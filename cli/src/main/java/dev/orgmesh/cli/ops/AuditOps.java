package dev.orgmesh.cli.ops;

import java.io.IOException;
import java.util.ArrayList;
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
 * {@code orgmesh audit --thread ID}: one piece of work across every agent, in the order the audit stream stored it.
 * A message belongs to the thread when its {@code thread} or {@code id} is the thread id, or it answers ({@code re})
 * a message already in the thread.
 */
public final class AuditOps {
    /** One entry of a thread. */
    public record Entry(MessageInfo stored, Envelope envelope) {
    }

    private AuditOps() {
    }

    public static List<Entry> thread(JetStreamManagement jsm, Subjects s, String thread, int limit)
            throws IOException, JetStreamApiException {
        List<Entry> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        ids.add(thread);
        for (MessageInfo mi : StreamReader.all(jsm, s.auditStream(), limit)) {
            Envelope e;
            try {
                e = EnvelopeCodec.decode(mi.getData());
            } catch (RuntimeException bad) {
                continue;
            }
            if (thread.equals(e.thread()) || thread.equals(e.id()) || (e.re() != null && ids.contains(e.re()))) {
                out.add(new Entry(mi, e));
                if (e.id() != null) {
                    ids.add(e.id());
                }
            }
        }
        return out;
    }
}
