package dev.orgmesh.agent.pipeline;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;

import dev.orgmesh.protocol.Subjects;

/**
 * One agent's keys of the company's escalations bucket, KV {@code OM_{CO}_ESCALATIONS} ({@link Subjects#escalationKey}
 * {@code {agent}.{id}}): the durable state of its open deadlines and escalation ladders ({@link DeadlineTracker}). Every
 * write of a ladder's step is a compare-and-set on the key's revision, so of two runtimes of one agent (or a runtime and
 * its earlier incarnation's leftovers) exactly one moves a ladder a step; the other sees the conflict and re-reads.
 * Calls block for at most the JetStream request timeout the bucket was opened with; the tracker calls them off the
 * message path, on a worker.
 */
public final class EscalationStore {
    /** JetStream's "wrong last sequence": the key exists already, or changed since it was read. */
    private static final int WRONG_LAST_SEQUENCE = 10071;

    /** A stored ladder: its key, value and revision (the bucket stream's sequence of that value). */
    public record Entry(String key, byte[] value, long revision) {
    }

    private final String self;
    private final HandledRecord.Opener opener;
    private volatile KeyValue kv;

    /** @param opener opens the bucket (jnats reads the stream's info to do so); may fail while the hub is away */
    public EscalationStore(String self, HandledRecord.Opener opener) {
        this.self = self;
        this.opener = opener;
    }

    /** The key of this agent's ladder about message {@code id}. */
    public String key(String id) {
        return Subjects.escalationKey(self, id);
    }

    /** Every ladder of this agent (its keys only: the listing consumer is filtered to {@code {agent}.>}). */
    public List<Entry> load() throws IOException, JetStreamApiException, InterruptedException {
        List<Entry> out = new ArrayList<>();
        for (String key : bucket().keys(Subjects.token(self) + ".>")) {
            Entry e = get(key);
            if (e != null) {
                out.add(e);
            }
        }
        return out;
    }

    /** The ladder under {@code key}, or {@code null} when there is none (never created, or settled). */
    public Entry get(String key) throws IOException, JetStreamApiException {
        KeyValueEntry e = bucket().get(key);
        return e == null || e.getValue() == null ? null : new Entry(key, e.getValue(), e.getRevision());
    }

    /** Creates {@code key}; its revision, or {@code -1} when it exists already. */
    public long create(String key, byte[] value) throws IOException, JetStreamApiException {
        try {
            return bucket().create(key, value);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                return -1;
            }
            throw e;
        }
    }

    /**
     * Replaces {@code key} if it is still at {@code revision}; the new revision, or {@code -1} when it changed or was
     * deleted meanwhile (someone else moved or settled the ladder).
     */
    public long update(String key, byte[] value, long revision) throws IOException, JetStreamApiException {
        try {
            return bucket().update(key, value, revision);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                return -1;
            }
            throw e;
        }
    }

    /** Settles {@code key}. */
    public void delete(String key) throws IOException, JetStreamApiException {
        bucket().delete(key);
    }

    private KeyValue bucket() throws IOException {
        KeyValue k = kv;
        if (k == null) {
            k = opener.open();
            kv = k;
        }
        return k;
    }
}
